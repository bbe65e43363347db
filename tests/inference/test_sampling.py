import torch
from scipy import stats

from pharmakon.inference.sampling import InverseCDFSampler


def test_inverse_cdf_sampler_draws_from_the_softmax():
    logits = torch.tensor([[0.0, 1.0, 2.0, float("-inf"), -1.0]])
    sampler = InverseCDFSampler(1.0, torch.Generator().manual_seed(0))
    draws = [int(sampler(None, logits).argmax()) for _ in range(4000)]
    counts = [draws.count(i) for i in range(5)]
    assert counts[3] == 0  # a token with probability zero is never drawn
    expected = torch.softmax(logits.double(), -1)[0].tolist()
    observed = [c for i, c in enumerate(counts) if i != 3]
    wanted = [p * 4000 / sum(expected) for i, p in enumerate(expected) if i != 3]
    assert stats.chisquare(observed, wanted).pvalue > 0.001


def test_temperature_sharpens_and_seed_repeats():
    logits = torch.tensor([[0.0, 2.0]])
    cold = InverseCDFSampler(0.1, torch.Generator().manual_seed(1))
    assert all(int(cold(None, logits).argmax()) == 1 for _ in range(200))
    a = InverseCDFSampler(1.0, torch.Generator().manual_seed(5))
    b = InverseCDFSampler(1.0, torch.Generator().manual_seed(5))
    assert [int(a(None, logits).argmax()) for _ in range(50)] == [int(b(None, logits).argmax()) for _ in range(50)]
