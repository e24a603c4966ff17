"""Distillation loss fixture for test/train/distillation.test.ts (float64, PyTorch).

(1 - alpha) * F.cross_entropy(z, y, label_smoothing=0.1)
  + alpha * T^2 * F.cross_entropy(z / T, q),  q = softmax(teacher_logits / T),
with alpha 0.3 and T 2.5: prints q, the loss, its gradient with respect to z, and the labels' term alone.

    /usr/bin/python3 scripts/fixtures_distillation.py
"""
import torch
import torch.nn.functional as F

z = torch.tensor(
    [[1.5, -0.3, 0.2], [0.1, 0.4, -1.2], [-0.7, 2.0, 0.3], [0.0, 0.5, 0.5]],
    dtype=torch.float64,
    requires_grad=True,
)
y = torch.tensor([0, 1, 1, 2])
teacher_logits = torch.tensor(
    [[2.0, 0.0, -1.0], [0.3, 0.2, 0.1], [-1.0, 1.0, 0.0], [0.5, -0.5, 1.5]], dtype=torch.float64
)
alpha, T, ls = 0.3, 2.5, 0.1
q = F.softmax(teacher_logits / T, dim=1)
loss = (1 - alpha) * F.cross_entropy(z, y, label_smoothing=ls) + alpha * T * T * F.cross_entropy(z / T, q)
loss.backward()
print("q", q.flatten().tolist())
print("loss", loss.item())
print("grad", z.grad.flatten().tolist())
print("hard", F.cross_entropy(z.detach(), y, label_smoothing=ls).item())
