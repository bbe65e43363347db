"""``python -m pharmakon``: the same CLI as the ``pharmakon`` command."""

from pharmakon.cli import main

if __name__ == "__main__":
    main()
