"""MatMamba-Vision in plain PyTorch, exactly as docs/model.md defines it, with the authors' state-dict names.

`MatMambaVision.forward(x, widths)` runs the nested submodel whose layer i has width widths[i]
(None = full width D); `forward(x, sample_widths=W)` runs a different submodel for each image (W: (batch, layers)),
at full width with the channels past each image's width held at zero, which gives each image what the sliced
submodel gives it (the trainer's Mix'n'Match samples; inference slices). The SSD scan is exact in either form
here: quadratic (one L x L decay matrix a head: the reference), chunked (the chunk's own tokens exactly, and one
product a chunk over all heads for the tokens before it, since C·Bᵀ is shared by them: faster with many heads) or
auto (the faster of the two at each head count: the trainer's default); `scan` names the one in use.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def quadratic_scan(cum, G, xdt):
    """The SSD scan in its exact quadratic form: y[t] = sum over s <= t of exp(cum[t] - cum[s]) * G[t, s] * xdt[s], per head.
    cum: (B, h, L) cumulative dt*A; G: (B, L, L) = C Bᵀ, shared by the heads; xdt: (B, h, L, P). Returns (B, h, L, P)."""
    L = cum.shape[-1]
    causal = torch.ones(L, L, dtype=torch.bool, device=cum.device).tril()
    decay = torch.exp((cum[:, :, :, None] - cum[:, :, None, :]).masked_fill(~causal, float("-inf")))
    return (decay * G[:, None].float()).to(xdt.dtype) @ xdt


def chunked_scan(cum, G, xdt, max_chunk=16):
    """The same scan with no (B, h, L, L) tensor: the tokens in chunks of at most max_chunk (of equal length), and for
    the query tokens t of one chunk starting at token a,
      the chunk's own tokens s: exp(cum[t] - cum[s]) * G[t, s] (0 for s > t), a (B, h, c, c) product per head;
      the tokens before it: with r = cum[a - 1], exp(cum[t] - cum[s]) = exp(cum[t] - r) * exp(r - cum[s]), and G is
      the same for every head, so y = exp(cum[t] - r) * (G[chunk, :a] @ X), X[s] = exp(r - cum[s]) * xdt[s] with all
      heads side by side (h·P columns): one product a chunk.
    cum never increases along the tokens, so no exponent is positive: nothing overflows, however steep the decay, and
    a factor underflows only where the true weight, its product with a factor <= 1, is smaller still. Same arguments
    and result as quadratic_scan."""
    B, h, L = cum.shape
    P = xdt.shape[-1]
    n = -(-L // max_chunk)
    size = -(-L // n)
    causal = torch.ones(size, size, dtype=torch.bool, device=cum.device).tril()
    ys = []
    for a in range(0, L, size):
        b = min(a + size, L)
        c = cum[:, :, a:b]
        within = torch.exp((c[..., :, None] - c[..., None, :]).masked_fill(~causal[:b - a, :b - a], float("-inf")))
        y = (within * G[:, None, a:b, a:b].float()).to(xdt.dtype) @ xdt[:, :, a:b]               # (B, h, c, P)
        if a > 0:
            r = cum[:, :, a - 1, None]                                                            # (B, h, 1)
            x = torch.exp(r - cum[:, :, :a])[..., None] * xdt[:, :, :a]                           # (B, h, a, P)
            before = G[:, a:b, :a].to(xdt.dtype) @ x.transpose(1, 2).reshape(B, a, h * P)        # (B, c, h * P)
            y = y + before.reshape(B, b - a, h, P).transpose(1, 2) * torch.exp(c - r)[..., None]
        ys.append(y)
    return torch.cat(ys, dim=2).to(xdt.dtype)


def auto_scan(cum, G, xdt):
    """chunked_scan from 64 heads, quadratic_scan below: the faster of the two at each head count of the shipped shape
    (forward + backward compiled, batch 1024, bf16, an H100: 6.1 against 7.4 ms at 64 heads, 4.1 against 3.9 at 32,
    3.0 against 1.9 at 16, 3.0 against 1.6 at 8; training/speed_parts.py)."""
    return (chunked_scan if cum.shape[1] >= 64 else quadratic_scan)(cum, G, xdt)


scan = quadratic_scan  # the trainer may swap in another form (--scan) or a compiled one (checked against it first)


class MatMamba2Mixer(nn.Module):
    def __init__(self, d_model, d_state=128, d_conv=4, expand=2):
        super().__init__()
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = expand * d_model
        self.headdim = d_model // 32
        self.nheads = self.d_inner // self.headdim
        d_in_proj = 2 * self.d_inner + 2 * d_state + self.nheads
        conv_dim = self.d_inner + 2 * d_state
        self.in_proj = nn.Linear(d_model, d_in_proj, bias=False)
        self.conv1d = nn.Conv1d(conv_dim, conv_dim, d_conv, groups=conv_dim, padding=d_conv - 1, bias=True)
        self.dt_bias = nn.Parameter(torch.empty(self.nheads))
        self.A_log = nn.Parameter(torch.empty(self.nheads))
        self.D = nn.Parameter(torch.ones(self.nheads))
        self.norm = nn.Module()
        self.norm.weight = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False)
        self.reset_ssm_parameters()

    def reset_ssm_parameters(self, dt_min=0.001, dt_max=0.1, dt_floor=1e-4):
        with torch.no_grad():
            dt = torch.exp(torch.rand(self.nheads) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
            dt = dt.clamp(min=dt_floor)
            self.dt_bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
            self.A_log.copy_(torch.log(torch.empty(self.nheads).uniform_(1, 16)))
            self.D.fill_(1.0)

    def forward(self, u, width, keep=None):
        """u: (B, L, D); width: the nested width w (d_inner = 2w channels in this submodel); keep: None, or each
        image's own width (B,), at most w: its channels past 2 keep are held at zero (x, hence y) and its norm
        averages over its own 2 keep channels, so that it gets what the submodel of width keep would give it."""
        D, N, di = self.d_model, self.d_state, 2 * width
        h, P = di // self.headdim, self.headdim
        W = self.in_proj.weight
        w_sel = torch.cat([W[:di], W[2 * D:2 * D + di], W[4 * D:4 * D + 2 * N], W[4 * D + 2 * N:4 * D + 2 * N + h]])
        zxbcdt = u @ w_sel.t()
        z, xBC, dt = torch.split(zxbcdt, [di, di + 2 * N, h], dim=-1)

        cw = torch.cat([self.conv1d.weight[:di], self.conv1d.weight[-2 * N:]])
        cb = torch.cat([self.conv1d.bias[:di], self.conv1d.bias[-2 * N:]])
        L = u.shape[1]
        # The causal depthwise convolution as d_conv shifted products (elementwise work a compiler fuses, where
        # F.conv1d's depthwise kernels took a quarter of a compiled step's GPU time): zeros before the first token.
        padded = F.pad(xBC, (0, 0, self.d_conv - 1, 0))
        conv = cb + padded[:, :L] * cw[:, 0, 0]
        for k in range(1, self.d_conv):
            conv = conv + padded[:, k:k + L] * cw[:, 0, k]
        xBC = F.silu(conv.to(xBC.dtype))
        x, Bm, Cm = torch.split(xBC, [di, N, N], dim=-1)
        if keep is not None:
            x = x * (torch.arange(di, device=u.device) < 2 * keep[:, None]).to(x.dtype)[:, None, :]

        dt = F.softplus(dt.float() + self.dt_bias[:h].float())                 # (B, L, h)
        A = -torch.exp(self.A_log[:h].float())                                   # (h)
        cum = torch.cumsum(dt * A, dim=1).transpose(1, 2)                        # (B, h, L)
        G = Cm @ Bm.transpose(1, 2)                                              # (B, t, s), shared by heads
        xh = x.reshape(x.shape[0], L, h, P)
        xdt = (xh.float() * dt[..., None]).transpose(1, 2)                       # (B, h, s, P)
        y = scan(cum, G, xdt).transpose(1, 2)                                    # (B, t, h, P)
        y = y + xh.float() * self.D[:h].float()[:, None]
        y = y.reshape(x.shape[0], L, di)

        y = y * F.silu(z.float())
        square = y.pow(2).mean(-1, keepdim=True) if keep is None else y.pow(2).sum(-1, keepdim=True) / (2 * keep[:, None, None])
        y = y * torch.rsqrt(square + 1e-5) * self.norm.weight[:di].float()
        return y.to(u.dtype) @ self.out_proj.weight[:, :di].t()


class Block(nn.Module):
    def __init__(self, d_model, eps, **ssm):
        super().__init__()
        self.norm = nn.LayerNorm(d_model, eps=eps)
        self.mixer = MatMamba2Mixer(d_model, **ssm)


class MatMambaVision(nn.Module):
    def __init__(self, d_model, n_layer, n_classes=1000, patch_size=16, image_size=224, norm_epsilon=1e-5,
                 d_state=128, d_conv=4, expand=2, drop_path_rate=0.0):
        super().__init__()
        self.d_model, self.n_layer = d_model, n_layer
        # stochastic depth (training only, drawn by depth_keeps): layer i drops its mixer output for a sample with
        # probability rate * i / (n - 1)
        self.drop_path = [drop_path_rate * i / max(1, n_layer - 1) for i in range(n_layer)]
        # the same rates on the model's device, for depth_keeps (not part of the weights)
        self.register_buffer("drop_path_rates", torch.tensor(self.drop_path).view(1, -1, 1), persistent=False)
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(3, d_model, patch_size, stride=patch_size)
        n_tokens = (image_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos_embed = nn.Parameter(torch.zeros(1, n_tokens + 1, d_model))
        self.layers = nn.ModuleList(
            Block(d_model, norm_epsilon, d_state=d_state, d_conv=d_conv, expand=expand) for _ in range(n_layer))
        self.norm_f = nn.LayerNorm(d_model, eps=norm_epsilon)
        self.head = nn.Linear(d_model, n_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    @classmethod
    def from_config(cls, cfg):
        ssm = cfg.get("ssm_cfg", {})
        return cls(cfg["d_model"], cfg["n_layer"], cfg.get("n_classes", 1000), cfg.get("patch_size", 16),
                   cfg.get("image_size", 224), cfg.get("norm_epsilon", 1e-5), ssm.get("d_state", 128),
                   ssm.get("d_conv", 4), ssm.get("expand", 2), cfg.get("drop_path_rate", 0.0))

    def level_widths(self, level):
        return [self.d_model // level] * self.n_layer

    def depth_keeps(self, passes, batch, device, generator=None):
        """Stochastic depth's draws for `passes` forward passes of a batch: (passes, layers, batch), True where a sample
        keeps a layer's mixer (layer i with probability 1 - rate * i / (n - 1)); None when the rate is 0. Drawn
        outside forward, so that a compiled loss is a function of its arguments alone."""
        if not any(self.drop_path):
            return None
        return torch.rand(passes, self.n_layer, batch, device=device, generator=generator) >= self.drop_path_rates

    def forward(self, x, widths=None, sample_widths=None, depth_keep=None):
        """Returns (features, logits): features = norm_f output at the suffix [CLS] token. sample_widths (batch,
        layers), instead of widths: each image's own width list. depth_keep (layers, batch), training only: which
        samples keep each layer's mixer (depth_keeps); the kept ones are scaled by 1 / (1 - p)."""
        widths = widths or [self.d_model] * self.n_layer
        keeps = [None] * self.n_layer if sample_widths is None else sample_widths.unbind(1)
        depth = [None] * self.n_layer if depth_keep is None else depth_keep.unbind(0)
        t = self.patch_embed.proj(x).flatten(2).transpose(1, 2)                 # (B, T, D), row-major grid
        t = torch.cat([t, self.cls_token.expand(t.shape[0], -1, -1)], dim=1) + self.pos_embed
        hidden, residual = t, None
        for layer, w, keep, kept, p in zip(self.layers, widths, keeps, depth, self.drop_path):
            residual = hidden if residual is None else hidden + residual
            hidden = layer.mixer(layer.norm(residual), w, keep)
            if kept is not None and p > 0:
                hidden = hidden * kept[:, None, None].to(hidden.dtype) / (1 - p)
        residual = hidden + residual
        f = self.norm_f(residual)[:, -1]
        return f, self.head(f)
