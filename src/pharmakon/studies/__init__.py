"""Built-in studies and the lifecycle runner behind them."""
