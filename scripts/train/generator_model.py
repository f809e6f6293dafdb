"""facecast generator and super-resolution networks (PyTorch), exported to ONNX.

Generator: a small temporal UNet over a window of slots (the last output frame as a known
context slot, then the frames to generate). Per slot and pixel it sees the render's maps
cropped around the face (src/generator/inputs.ts is the one definition of the channels),
the reference crop, the residual channel x (noisy for frames to generate, the known
residual for context) and a known-flag and noise-level channel. Spatial layers are shared
over slots; 1-D temporal convolutions over the slot axis mix frames at 1/2 and 1/4
resolution. Output: the clean residual over the warp-only composite (x0 prediction).

Super-resolution: ESPCN-style on a pixel-unshuffled grid; input the composite at 2x the
base size, the disocclusion mask at 2x and the generator's base residual; output the
residual at 2x (the bilinearly upsampled base residual plus a learned correction).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# Channel layout of one slot (see src/generator/layout.ts; keep in sync).
MAP_CHANNELS = 20  # composite 3, warped 3, disocclusion 1, coords 3, labels 7, reference 3
IN_CHANNELS = MAP_CHANNELS + 3 + 1 + 1  # + x (residual) + known flag + noise level


class TemporalMix(nn.Module):
    """Residual 1-D convolution over the slot axis (kernel 3, zero padded), as a 2-D conv."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, (3, 1), padding=(1, 0))
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)

    def forward(self, x: torch.Tensor, slots: int) -> torch.Tensor:
        bs, c, h, w = x.shape
        y = x.reshape(-1, slots, c, h * w).permute(0, 2, 1, 3)  # B, C, S, HW
        y = self.conv(F.silu(y))
        y = y.permute(0, 2, 1, 3).reshape(bs, c, h, w)
        return x + y


def conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class GeneratorUNet(nn.Module):
    def __init__(self, widths=(16, 32, 64)):
        super().__init__()
        c1, c2, c3 = widths
        self.widths = widths
        self.e1a = conv(IN_CHANNELS, c1)
        self.e1b = conv(c1, c1)
        self.e2a = conv(c1, c2, 2)
        self.e2b = conv(c2, c2)
        self.t2 = TemporalMix(c2)
        self.e3a = conv(c2, c3, 2)
        self.e3b = conv(c3, c3)
        self.t3a = TemporalMix(c3)
        self.e3c = conv(c3, c3)
        self.t3b = TemporalMix(c3)
        self.d2a = conv(c3 + c2, c2)
        self.d2b = conv(c2, c2)
        self.td2 = TemporalMix(c2)
        self.d1a = conv(c2 + c1, c1)
        self.d1b = conv(c1, c1)
        self.out = nn.Conv2d(c1, 3, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, slots_in: torch.Tensor) -> torch.Tensor:
        """slots_in: [B, S, IN_CHANNELS, N, N] -> x0 residual [B, S, 3, N, N]."""
        b, s, c, n, m = slots_in.shape
        x = slots_in.reshape(-1, c, n, m)
        a = F.silu
        h1 = a(self.e1b(a(self.e1a(x))))
        h2 = a(self.e2b(a(self.e2a(h1))))
        h2 = self.t2(h2, s)
        h3 = a(self.e3b(a(self.e3a(h2))))
        h3 = self.t3a(h3, s)
        h3 = a(self.e3c(h3))
        h3 = self.t3b(h3, s)
        u2 = F.interpolate(h3, scale_factor=2.0, mode="nearest")
        g2 = a(self.d2b(a(self.d2a(torch.cat([u2, h2], 1)))))
        g2 = self.td2(g2, s)
        u1 = F.interpolate(g2, scale_factor=2.0, mode="nearest")
        g1 = a(self.d1b(a(self.d1a(torch.cat([u1, h1], 1)))))
        out = self.out(g1)
        return out.reshape(b, s, 3, n, m)


class ResidualSR(nn.Module):
    """x2 residual super-resolution. Inputs: composite [B,3,2N,2N] in [-1,1], disocclusion
    [B,1,2N,2N] in [0,1], base residual [B,3,N,N]. Output: residual [B,3,2N,2N]."""

    def __init__(self, width: int = 32, layers: int = 4):
        super().__init__()
        self.head = nn.Conv2d(4 * 4 + 3, width, 3, padding=1)
        self.body = nn.ModuleList([conv(width, width) for _ in range(layers)])
        self.tail = nn.Conv2d(width, 3 * 4, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, composite: torch.Tensor, disocclusion: torch.Tensor, base: torch.Tensor):
        hi = torch.cat([composite, disocclusion], 1)
        x = torch.cat([F.pixel_unshuffle(hi, 2), base], 1)
        h = F.silu(self.head(x))
        for layer in self.body:
            h = h + F.silu(layer(h))
        up = F.interpolate(base, scale_factor=2.0, mode="bilinear", align_corners=False)
        return up + F.pixel_shuffle(self.tail(h), 2)
