#!/usr/bin/python3
"""Invariance Lab <-> PyTorch bridge: the four model kinds of DESIGN.md as
torch.nn modules with the C core's tensor names, its loss, a small trainer
(any device PyTorch supports) and its safetensors files with the same
metadata, read and written in plain Python (no safetensors package).

Not part of the app and never needed by it; the C core (src/core/model.c,
gconv.c, group.c) is the ground truth this file follows. Size letters: B
batch, G group order, C channels, H W image size, n = H*W, K classes.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "invariance-lab"
FORMAT_VERSION = 1
KINDS = ("mlp", "cnn", "tied-mlp", "gcnn")
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


class InvlabError(Exception):
    """A file, data set or configuration the bridge cannot use."""


# ---- groups ----

def _parse_group(name):
    """(kind, k) of a group name: c4, d4, flip, trans (k = 4) or trans:K."""
    if name in ("c4", "d4", "flip"):
        return name, 0
    if name == "trans":
        return "trans", 4
    if isinstance(name, str) and name.startswith("trans:"):
        k = name[6:]
        if k.isdigit() and 1 <= int(k) <= 64:
            return "trans", int(k)
        raise InvlabError(f"group '{name}': shifts per axis must be a number from 1 to 64")
    raise InvlabError(f"unknown group '{name}' (expected c4, d4, flip, trans or trans:K)")


def group_order(name):
    kind, k = _parse_group(name)
    return {"c4": 4, "d4": 8, "flip": 2}.get(kind, k * k)


def group_transform(name, g, x):
    """g·x for images x (..., H, W) with torch ops, in the C core's element
    order: c4 = torch.rot90(x, g) (numpy.rot90 for row 0 at the top); d4
    elements 4..7 rotate then mirror (reverse the columns); flip = identity,
    mirror; trans: element a·k+b rolls a·H/k rows down and b·W/k columns right."""
    kind, k = _parse_group(name)
    if kind == "trans":
        a, b = divmod(g, k)
        H, W = x.shape[-2], x.shape[-1]
        return torch.roll(x, shifts=(a * (H // k), b * (W // k)), dims=(-2, -1))
    rot = 0 if kind == "flip" else g % 4
    mirror = (kind == "d4" and g >= 4) or (kind == "flip" and g == 1)
    y = torch.rot90(x, rot, dims=(-2, -1)) if rot else x
    return torch.flip(y, dims=(-1,)) if mirror else y


class Group:
    """A group acting on H×W images as pixel permutations: (g·x)[p] =
    x[perm[g, p]]. The permutations come from applying group_transform to an
    image of pixel indices; the table and inverses from comparing them, as
    in group.c. table[a, b] = c where c·x = a·(b·x)."""

    def __init__(self, name, h, w):
        kind, k = _parse_group(name)
        if kind in ("c4", "d4") and h != w:
            raise InvlabError(f"group {name} needs square images, not {h}×{w}")
        if kind == "trans" and (h % k or w % k):
            raise InvlabError(f"group {name}: image size {h}×{w} is not divisible by {k}")
        self.name, self.h, self.w = name, h, w
        self.order = G = group_order(name)
        idx = torch.arange(h * w, dtype=torch.long).view(h, w)
        self.perm = torch.stack([group_transform(name, g, idx).reshape(-1) for g in range(G)])  # (G, n)
        table = torch.empty(G, G, dtype=torch.long)
        for a in range(G):
            for b in range(G):
                comp = self.perm[b][self.perm[a]]
                hits = (self.perm == comp).all(dim=1).nonzero()
                assert len(hits) == 1, "not closed"
                table[a, b] = hits[0, 0]
        self.table = table                                            # (G, G)
        self.inverse = torch.tensor([int((table[a] == 0).nonzero()[0, 0]) for a in range(G)])  # (G)

    def apply(self, x, g):
        """g·x for x (..., H, W)."""
        flat = x.reshape(*x.shape[:-2], self.h * self.w)
        return flat[..., self.perm[g].to(x.device)].view(x.shape)

    def orbit(self, x):
        """x (B, H, W) → (B, G, H, W), identity first."""
        B = x.shape[0]
        flat = x.reshape(B, self.h * self.w)
        return flat[:, self.perm.to(x.device)].view(B, self.order, self.h, self.w)


# ---- layers ----

def maxpool2(x):
    """2×2 max pool, stride 2, x (N, C, H, W) with H, W even. amax splits the
    gradient evenly among tied maxima, the symmetric subgradient of the C core
    (F.max_pool2d routes it to one element, which breaks saliency invariance)."""
    N, C, H, W = x.shape
    return x.view(N, C, H // 2, 2, W // 2, 2).amax(dim=(3, 5))


class LiftConv(nn.Module):
    """Lifting conv 3×3: weight psi (O, C, 3, 3) → conv weight (O*G, C, 3, 3),
    wexp[o*G+g, c] = g·psi[o, c]; bias (O) shared over the group."""

    def __init__(self, C, O, fgroup):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(O, C, 3, 3))
        self.bias = nn.Parameter(torch.zeros(O))
        self.register_buffer("fperm", fgroup.perm.clone(), persistent=False)  # (G, 9)
        self.G = fgroup.order

    def expanded(self):
        O, C = self.weight.shape[:2]
        w = self.weight.reshape(O, C, 9)[:, :, self.fperm]             # (O, C, G, 9)
        w = w.permute(0, 2, 1, 3).reshape(O * self.G, C, 3, 3)
        return w, self.bias.repeat_interleave(self.G)


class GroupConv(nn.Module):
    """Group conv 3×3 in the regular representation: weight psi (O, C, G, 3, 3)
    → conv weight (O*G, C*G, 3, 3), wexp[o*G+g, c*G+h] = g·psi[o, c, g⁻¹h]."""

    def __init__(self, C, O, fgroup):
        super().__init__()
        G = fgroup.order
        self.weight = nn.Parameter(torch.zeros(O, C, G, 3, 3))
        self.bias = nn.Parameter(torch.zeros(O))
        ginv_h = fgroup.table[fgroup.inverse]                          # (G g, G h): g⁻¹h
        self.register_buffer("hidx", ginv_h[:, :, None].clone(), persistent=False)            # (G, G, 1)
        self.register_buffer("pidx", fgroup.perm[:, None, :].clone(), persistent=False)       # (G, 1, 9)
        self.G = G

    def expanded(self):
        O, C, G = self.weight.shape[:3]
        w = self.weight.reshape(O, C, G, 9)[:, :, self.hidx, self.pidx]  # (O, C, G g, G h, 9)
        w = w.permute(0, 2, 1, 3, 4).reshape(O * G, C * G, 3, 3)
        return w, self.bias.repeat_interleave(G)


# ---- models ----

def default_arch(kind, group):
    """(widths, fc) of a kind, as inv_model_arch_default."""
    if kind in ("mlp", "tied-mlp"):
        return [256, 256], 0
    if kind == "cnn":
        return [16, 32], 128
    if kind == "gcnn":
        return ([8, 16] if group.startswith("trans") else [8, 16, 16, 16]), 0
    raise InvlabError(f"unknown model kind '{kind}' (expected mlp, cnn, tied-mlp or gcnn)")


class InvModel(nn.Module):
    """Common part: metadata, input standardization and checkpoint export.
    forward takes pixels in [0,1] as (B, H, W), (B, 1, H, W) or (B, n) and
    returns logits (B, K)."""

    def __init__(self, kind, group, h, w, classes, arch, fc):
        super().__init__()
        self.kind, self.group_name = kind, group
        self.h, self.w, self.classes = h, w, classes
        self.arch, self.fc = list(arch), fc
        self.mean, self.std = 0.0, 1.0
        self.lam = 0.0
        self.dataset = ""
        self.train_config = None
        self.class_names = None

    def standardize(self, x):
        x = x.reshape(x.shape[0], 1, self.h, self.w)
        if not x.is_floating_point():
            x = x.float() / 255.0
        # As the C core: (x − mean) · (1/std), both float32 constants.
        inv_std = float(np.float32(1.0) / np.float32(self.std))
        return (x - float(np.float32(self.mean))) * inv_std

    def export_tensors(self):
        """Tensor name → float32 CPU tensor as saved (tied-mlp: the tied fc1)."""
        return {name: p.detach().float().cpu().contiguous() for name, p in self.named_parameters()}

    def import_tensors(self, tensors, path="model"):
        params = dict(self.named_parameters())
        for name in tensors:
            if name not in params:
                raise InvlabError(f"{path}: unexpected tensor '{name}' for a {self.kind}")
        with torch.no_grad():
            for name, p in params.items():
                if name not in tensors:
                    raise InvlabError(f"{path}: tensor '{name}' is missing")
                t = torch.as_tensor(tensors[name])
                if tuple(t.shape) != tuple(p.shape):
                    raise InvlabError(f"{path}: tensor '{name}' has shape {list(t.shape)}, "
                                      f"but the metadata's {self.kind} on {self.group_name} "
                                      f"needs {list(p.shape)}")
                p.copy_(t)

    def first_layer(self):
        """The first layer as a matrix (fc: out×n; conv: out×(in·k·k))."""
        w = self.export_tensors()[next(iter(dict(self.named_parameters())))]
        return w.reshape(w.shape[0], -1)


class MLP(InvModel):
    """mlp and tied-mlp: n → widths… → K with ReLU. tied-mlp's fc1.weight is a
    free V and the layer uses W = V·P (rows averaged over the group orbit)."""

    def __init__(self, kind, group, h, w, classes, arch, fc=0):
        super().__init__(kind, group, h, w, classes, arch, 0)
        n = h * w
        dims = [n] + list(arch) + [classes]
        for i in range(len(dims) - 1):
            setattr(self, f"fc{i + 1}", nn.Linear(dims[i], dims[i + 1]))
        self.n_fc = len(dims) - 1
        self.tied = kind == "tied-mlp"
        if self.tied:
            self.register_buffer("perm", Group(group, h, w).perm, persistent=False)  # (G, n)

    def fc1_weight(self):
        v = self.fc1.weight                                              # (O, n)
        return v[:, self.perm].mean(dim=1) if self.tied else v           # W = V·P

    def forward(self, x):
        z = self.standardize(x).reshape(x.shape[0], -1)
        for i in range(1, self.n_fc + 1):
            layer = getattr(self, f"fc{i}")
            wt = self.fc1_weight() if i == 1 else layer.weight
            z = F.linear(z, wt, layer.bias)
            if i < self.n_fc:
                z = F.relu(z)
        return z

    def export_tensors(self):
        t = super().export_tensors()
        if self.tied:
            t["fc1.weight"] = self.fc1_weight().detach().float().cpu().contiguous()
        return t

    def import_tensors(self, tensors, path="model"):
        super().import_tensors(tensors, path)
        if self.tied:
            # V = W is a valid free parameter when W is tied (W·P = W).
            with torch.no_grad():
                v = self.fc1.weight
                worst = (self.fc1_weight() - v).abs().max().item()
                if worst > 1e-5 * max(v.abs().max().item(), 1.0):
                    raise InvlabError(f"{path}: fc1.weight of a tied-mlp is not invariant "
                                      f"under {self.group_name} (differs from its group "
                                      f"average by {worst:g})")


class CNN(InvModel):
    """cnn: [conv3×3, ReLU, maxpool2] per width, flatten (C, H, W), fc, ReLU, fc."""

    def __init__(self, kind, group, h, w, classes, arch, fc):
        super().__init__(kind, group, h, w, classes, arch, fc)
        f = 1 << len(arch)
        if len(arch) > 4 or h % f or w % f:
            raise InvlabError(f"cnn: {len(arch)} pooled layers need an image size divisible "
                              f"by {f}, not {h}×{w}")
        c = 1
        for i, width in enumerate(arch):
            setattr(self, f"conv{i + 1}", nn.Conv2d(c, width, 3, padding=1))
            c = width
        self.fc1 = nn.Linear(c * (h // f) * (w // f), fc)
        self.fc2 = nn.Linear(fc, classes)

    def forward(self, x):
        z = self.standardize(x)
        for i in range(len(self.arch)):
            z = maxpool2(F.relu(getattr(self, f"conv{i + 1}")(z)))
        z = F.relu(self.fc1(z.flatten(1)))
        return self.fc2(z)


class GCNN(InvModel):
    """gcnn on c4, d4, flip: lifting conv, group convs (zero "same" padding,
    ReLU), maxpool2 after the first two layers, mean over the group, max over
    space, fc. On trans: plain circular-padded convs, ReLU, global mean pool,
    fc. Group feature maps use channel c*G + g."""

    def __init__(self, kind, group, h, w, classes, arch, fc=0):
        super().__init__(kind, group, h, w, classes, arch, 0)
        self.trans = group.startswith("trans")
        Group(group, h, w)  # validates the group against the image size
        if not self.trans:
            f = 1 << min(len(arch), 2)
            if h % f or w % f:
                raise InvlabError(f"gcnn on {group}: the image size {h}×{w} must be divisible "
                                  f"by {f} for the pools to keep exact invariance")
            fgroup = Group(group, 3, 3)
            self.G = fgroup.order
        c = 1
        for i, width in enumerate(arch):
            if self.trans:
                layer = nn.Conv2d(c, width, 3)
            elif i == 0:
                layer = LiftConv(c, width, fgroup)
            else:
                layer = GroupConv(c, width, fgroup)
            setattr(self, f"conv{i + 1}", layer)
            c = width
        self.fc1 = nn.Linear(c, classes)

    def forward(self, x):
        z = self.standardize(x)
        for i in range(len(self.arch)):
            layer = getattr(self, f"conv{i + 1}")
            if self.trans:
                z = F.relu(layer(F.pad(z, (1, 1, 1, 1), mode="circular")))
            else:
                wt, b = layer.expanded()
                z = F.relu(F.conv2d(z, wt, b, padding=1))
                if i < 2:
                    z = maxpool2(z)
        B, CG, H, W = z.shape
        if self.trans:
            z = z.mean(dim=(2, 3))                                       # (B, C)
        else:
            z = z.view(B, CG // self.G, self.G, H * W).mean(dim=2).amax(dim=2)  # (B, C)
        return self.fc1(z)


def build_model(kind, group="c4", h=28, w=28, classes=10, arch=None, fc=None):
    """A model of a kind for a group and image size; arch (list of widths) and
    fc (cnn) default as in the C core. Parameters are zero: call init_model or
    load tensors."""
    darch, dfc = default_arch(kind, group)
    arch = list(arch) if arch else darch
    fc = fc if fc else dfc
    if not 2 <= classes <= 256:
        raise InvlabError(f"{kind}: {classes} classes is not supported (2 to 256)")
    if not 1 <= len(arch) <= 8 or not all(1 <= a <= 4096 for a in arch):
        raise InvlabError(f"{kind}: architecture {arch} is not supported")
    Group(group, h, w)
    cls = {"mlp": MLP, "tied-mlp": MLP, "cnn": CNN, "gcnn": GCNN}[kind]
    return cls(kind, group, h, w, classes, arch, fc)


def init_model(model, seed=1):
    """He-normal weights for layers followed by ReLU, LeCun-normal for the
    logits, zero biases (the C core's scheme; tied-mlp's V scaled by √G since
    W = V·P averages G entries). Not the C core's random stream."""
    gen = torch.Generator().manual_seed(seed)
    weights = [(n, p) for n, p in model.named_parameters() if n.endswith(".weight")]
    with torch.no_grad():
        for i, (name, p) in enumerate(weights):
            fan_in = p[0].numel()
            sd = math.sqrt((1.0 if i == len(weights) - 1 else 2.0) / fan_in)
            if getattr(model, "tied", False) and name == "fc1.weight":
                sd *= math.sqrt(model.perm.shape[0])
            p.copy_(torch.randn(p.shape, generator=gen) * sd)
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.zero_()
    return model


# ---- safetensors ----

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2")}


def read_safetensors(path):
    """(tensors: name → float32 numpy array, metadata: str → str). Validates
    the header, dtypes, offsets and finiteness."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise InvlabError(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", data[:8])
    if hlen == 0 or hlen > len(data) - 8 or hlen > 100 << 20:
        raise InvlabError(f"{path}: header length {hlen} does not fit the file")
    try:
        header = json.loads(data[8:8 + hlen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvlabError(f"{path}: header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise InvlabError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise InvlabError(f"{path}: __metadata__ is not a map of strings")
    body = memoryview(data)[8 + hlen:]
    tensors = {}
    for name, e in header.items():
        try:
            dtype = _DTYPES[e["dtype"]]
            shape = [int(s) for s in e["shape"]]
            b, end = (int(o) for o in e["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InvlabError(f"{path}: tensor '{name}' has a bad entry "
                              f"(dtype F32, F64 or F16, shape, data_offsets)") from None
        numel = int(np.prod(shape)) if shape else 1
        if not 0 <= b <= end <= len(body) or end - b != numel * dtype.itemsize:
            raise InvlabError(f"{path}: tensor '{name}': data_offsets [{b}, {end}] do not "
                              f"fit shape {shape} or the file")
        a = np.frombuffer(body[b:end], dtype=dtype).reshape(shape).astype(np.float32)
        if not np.isfinite(a).all():
            raise InvlabError(f"{path}: tensor '{name}' holds NaN or Inf")
        tensors[name] = a
    return tensors, meta


def write_safetensors(path, tensors, metadata):
    """Writes float32 tensors (name → array) and string metadata atomically:
    a temporary file in the same folder, fsync, os.replace."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(np.asarray(t, dtype="<f4"))
        if not np.isfinite(a).all():
            raise InvlabError(f"{path}: tensor '{name}' holds NaN or Inf")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (-len(h) % 8)  # data starts 8-byte aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def model_metadata(model):
    """The C core's __metadata__ keys (inv_model_save)."""
    meta = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": model.kind,
        "group": model.group_name,
        "height": str(model.h),
        "width": str(model.w),
        "classes": str(model.classes),
        "arch": ",".join(str(a) for a in model.arch),
        "mean": f"{float(np.float32(model.mean)):.9g}",
        "std": f"{float(np.float32(model.std)):.9g}",
        "lambda": f"{float(model.lam):.17g}",
        "dataset": model.dataset or "",
    }
    if model.kind == "cnn":
        meta["fc"] = str(model.fc)
    if model.train_config is not None:
        meta["train_config"] = (model.train_config if isinstance(model.train_config, str)
                                else json.dumps(model.train_config, separators=(",", ":")))
    if model.class_names is not None:
        meta["class_names"] = json.dumps(list(model.class_names), separators=(",", ":"),
                                         ensure_ascii=False)
    return meta


def save_safetensors(model, path, metadata=None):
    """Saves a model as the C core does (tied-mlp: the effective fc1.weight);
    metadata entries override or add to model_metadata(model)."""
    meta = model_metadata(model)
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    write_safetensors(path, model.export_tensors(), meta)


def _meta_int(meta, path, key, required=True):
    v = meta.get(key)
    if v is None:
        if required:
            raise InvlabError(f"{path}: metadata has no '{key}'")
        return 0
    if not v.isdigit() or not 1 <= int(v) <= 1 << 20:
        raise InvlabError(f"{path}: metadata '{key}' = '{v}' is not a positive integer")
    return int(v)


def _meta_float(meta, path, key):
    v = meta.get(key)
    try:
        x = float(v)
    except (TypeError, ValueError):
        x = float("nan")
    if not math.isfinite(x):
        raise InvlabError(f"{path}: metadata '{key}' is missing or not a finite number")
    return x


def from_safetensors(path, device=None):
    """Loads an Invariance Lab model file (written by the C core or by
    save_safetensors) as a torch module, validating as inv_model_load does."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT:
        raise InvlabError(f"{path}: not an Invariance Lab model (metadata 'format' is "
                          f"{meta.get('format', 'missing')!r})")
    version = _meta_int(meta, path, "format_version")
    if version > FORMAT_VERSION:
        raise InvlabError(f"{path}: format version {version} is newer than this bridge "
                          f"reads ({FORMAT_VERSION})")
    kind = meta.get("kind")
    if kind not in KINDS:
        raise InvlabError(f"{path}: unknown model kind '{kind}'")
    group = meta.get("group")
    if not group:
        raise InvlabError(f"{path}: metadata has no 'group'")
    try:
        arch = [int(a) for a in meta.get("arch", "").split(",")]
    except ValueError:
        raise InvlabError(f"{path}: metadata 'arch' = '{meta.get('arch')}' is not a list "
                          f"of layer widths") from None
    try:
        model = build_model(kind, group, _meta_int(meta, path, "height"),
                            _meta_int(meta, path, "width"), _meta_int(meta, path, "classes"),
                            arch, _meta_int(meta, path, "fc", kind == "cnn"))
    except InvlabError as e:
        raise InvlabError(f"{path}: {e}") from None
    model.import_tensors(tensors, path)
    model.mean = _meta_float(meta, path, "mean")
    model.std = _meta_float(meta, path, "std")
    if not model.std > 1e-8:
        raise InvlabError(f"{path}: normalization std {model.std} is not usable")
    model.lam = _meta_float(meta, path, "lambda") if "lambda" in meta else 0.0
    model.dataset = meta.get("dataset", "")
    model.train_config = meta.get("train_config")
    if "class_names" in meta:
        names = json.loads(meta["class_names"])
        if not (isinstance(names, list) and len(names) == model.classes
                and all(isinstance(s, str) for s in names)):
            raise InvlabError(f"{path}: metadata 'class_names' is not a list of "
                              f"{model.classes} strings")
        model.class_names = names
    return model.to(device) if device else model


# ---- data ----

def read_idx(path):
    """An IDX file of unsigned bytes (plain or gzip) as a numpy uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif path.endswith(".gz"):
        raise InvlabError(f"{path}: named .gz but not gzip")
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise InvlabError(f"{path}: not an IDX file of unsigned bytes")
    nd = data[3]
    dims = struct.unpack(f">{nd}I", data[4:4 + 4 * nd])
    size = int(np.prod(dims))
    if len(data) != 4 + 4 * nd + size:
        raise InvlabError(f"{path}: {len(data) - 4 - 4 * nd} data bytes, expected {size}")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims).copy()


def _idx_file(folder, base):
    for name in (base, base + ".gz"):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise InvlabError(f"{folder}: no {base} (or {base}.gz)")


def load_dataset(spec):
    """'fashion' (INVLAB_FASHION_DIR or Debian's folder) or 'idx:DIR' →
    dict(name, train=(images (N,H,W) uint8, labels (N) uint8), test=(…),
    class_names). The built-in digits are drawn by the C core: export them
    as an IDX folder with tests/torch-logits (see README.md)."""
    if spec == "fashion":
        folder = os.environ.get("INVLAB_FASHION_DIR", FASHION_DIR)
    elif spec.startswith("idx:"):
        folder = spec[4:]
    else:
        raise InvlabError(f"data set '{spec}': the bridge reads 'fashion' or 'idx:DIR'")
    out = {"name": spec}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        x = read_idx(_idx_file(folder, f"{prefix}-images-idx3-ubyte"))
        y = read_idx(_idx_file(folder, f"{prefix}-labels-idx1-ubyte"))
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise InvlabError(f"{folder}: {split} images and labels do not match")
        out[split] = (x, y)
    K = int(max(out["train"][1].max(), out["test"][1].max())) + 1
    names = None
    cpath = os.path.join(folder, "classes.txt")
    if os.path.exists(cpath):
        with open(cpath, encoding="utf-8") as f:
            names = [s.strip() for s in f if s.strip()]
    if spec == "fashion" and names is None:
        names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    if names is not None and len(names) >= K:
        K = len(names)
    out["classes"] = max(K, 2)
    out["class_names"] = names or [str(i) for i in range(out["classes"])]
    return out


def to_pixels(images, device=None):
    """uint8 (N, H, W) → float32 tensor in [0,1] (x/255 as the C core)."""
    t = torch.as_tensor(images)
    if not t.is_floating_point():
        t = t.float() / 255.0
    return t.to(device) if device else t


# ---- loss and training ----

def invariance_loss(logits, labels, B, m, lam):
    """DESIGN.md's loss on logits (B*m, K), row i*m+j = f(g_j·x_i):
    mean CE + λ · mean_i mean_g ‖z_ig − z̄_i‖². Returns (loss, ce, penalty)."""
    ce = F.cross_entropy(logits, labels)
    z = logits.view(B, m, -1)
    pen = (z - z.mean(dim=1, keepdim=True)).pow(2).sum(dim=2).mean()
    return ce + lam * pen, ce, pen


def expand_orbits(x, y, group, m, augment, gen=None):
    """Base images x (B, H, W), labels y (B) → (B*m, H, W), (B*m): the whole
    orbit (m = G), m distinct random elements, or the identity (augment none)."""
    B = x.shape[0]
    if augment == "none":
        return x, y, 1
    G = group.order
    perm = group.perm.to(x.device)
    if m in (0, G):
        elems = torch.arange(G).expand(B, G)
    else:
        elems = torch.argsort(torch.rand(B, G, generator=gen), dim=1)[:, :m]
    m = elems.shape[1]
    flat = x.reshape(B, -1)
    xo = torch.gather(flat[:, None, :].expand(B, m, flat.shape[1]), 2,
                      perm[elems.to(x.device)])
    return xo.reshape(B * m, *x.shape[1:]), y.repeat_interleave(m), m


def make_optimizer(model, name="adam", lr=1e-3, momentum=0.9):
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    raise InvlabError(f"optimizer '{name}' must be adam or sgd")


def train_step(net, opt, x, y, group, lam, m=0, augment="orbit", gen=None):
    """One optimization step on base images x (B, H, W) pixels and labels y
    (B) (net may be a DataParallel wrapper). Returns (loss, ce, penalty, rows)."""
    xo, yo, mm = expand_orbits(x, y, group, m, augment, gen)
    opt.zero_grad(set_to_none=True)
    logits = net(xo)
    loss, ce, pen = invariance_loss(logits, yo.long(), x.shape[0], mm, lam)
    if not torch.isfinite(loss):
        raise InvlabError("the loss became non-finite; try a smaller learning rate")
    loss.backward()
    opt.step()
    return loss.item(), ce.item(), pen.item(), xo.shape[0]


def train(model, images, labels, lam=0.0, augment="orbit", orbit_samples=0, epochs=1,
          batch=64, optimizer="adam", lr=1e-3, seed=1, limit=0, device="cpu",
          data_parallel=False, dataset_name="", class_names=None, log=None):
    """Trains model in place on images (N, H, W) uint8 (or float in [0,1]) and
    labels (N) with the C core's recipe: standardization from all training
    pixels, a per-epoch shuffle, orbit-expanded batches, CE + λ·IE, Adam or
    SGD. Records mean, std, λ, data set and configuration for saving."""
    x_all = to_pixels(images)
    y_all = torch.as_tensor(np.asarray(labels)).long()
    model.mean = float(x_all.double().mean())
    std = float(x_all.double().std(unbiased=False))
    model.std = std if std > 1e-6 else 1.0
    model.lam = float(lam)
    model.dataset = dataset_name
    if class_names is not None:
        model.class_names = list(class_names)
    n = min(limit, len(x_all)) if limit else len(x_all)
    if n == 0:
        raise InvlabError("no training images")
    batch = min(batch, n)
    model.train_config = {
        "dataset": dataset_name, "lambda": float(lam), "augment": augment,
        "orbit_samples": orbit_samples, "epochs": epochs, "batch": batch,
        "optimizer": optimizer, "lr": lr, "seed": seed, "limit": limit,
        "threads": torch.get_num_threads(), "trainer": f"pytorch {torch.__version__}",
        "device": str(device),
    }
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvlabError(f"device '{device}': this PyTorch {torch.__version__} has no usable "
                          "CUDA (Debian's python3-torch is CPU only; install a CUDA build)")
    group = Group(model.group_name, model.h, model.w)
    if orbit_samples > group.order:
        raise InvlabError("orbit samples cannot exceed the group order")
    model.to(device)
    net = model
    if data_parallel and str(device).startswith("cuda") and torch.cuda.device_count() > 1:
        net = nn.DataParallel(model)
    opt = make_optimizer(model, optimizer, lr)
    gen = torch.Generator().manual_seed(seed)
    x_all, y_all = x_all[:n].to(device), y_all[:n].to(device)
    step, t0, images_seen = 0, time.perf_counter(), 0
    total = epochs * ((n + batch - 1) // batch)
    net.train()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=gen).to(device)
        for pos in range(0, n, batch):
            idx = order[pos:pos + batch]
            loss, ce, pen, rows = train_step(net, opt, x_all[idx], y_all[idx], group, lam,
                                             orbit_samples, augment, gen)
            step += 1
            images_seen += rows
            if log and (step == total or step % 50 == 0):
                rate = images_seen / max(time.perf_counter() - t0, 1e-9)
                log(f"epoch {epoch + 1}/{epochs} step {step}/{total} loss {loss:.4f} "
                    f"ce {ce:.4f} penalty {pen:.4f} {rate:.0f} img/s")
    model.eval()
    return model


# ---- metrics (DESIGN.md "Metrics"; for benchmarks and checks) ----

@torch.no_grad()
def _orbit_logits(model, x, group):
    B = x.shape[0]
    return model(group.orbit(x).reshape(B * group.order, model.h, model.w)).view(B, group.order, -1)


def evaluate(model, images, labels, group=None, batch=32, seed=0, saliency_predicted=False):
    """Every metric of DESIGN.md on base images (N, H, W) in [0,1] and labels
    (N): orbit accuracy, consistency, PDI, LI, SIS (gradient saliency with the
    symmetric max-pool subgradient), IE, sensitivity, non-invariant energy
    (mlp, tied-mlp) and the first-layer spectrum. The sensitivity noise comes
    from torch's generator, not the C core's streams."""
    group = group or Group(model.group_name, model.h, model.w)
    G, n, K = group.order, model.h * model.w, model.classes
    x_all = to_pixels(images)
    y_all = torch.as_tensor(np.asarray(labels)).long()
    N = len(x_all)
    gen = torch.Generator().manual_seed(seed)
    perm_inv = group.perm[group.inverse]                          # (G, n): aligns g⁻¹·s
    acc = cons = jsd = ie = sens = sis = 0.0
    li_num = li_den = 0.0
    for s in range(0, N, batch):
        x, y = x_all[s:s + batch], y_all[s:s + batch]
        B = x.shape[0]
        xo = group.orbit(x).reshape(B * G, n).clone().requires_grad_(True)
        z = model(xo)                                             # (B*G, K)
        cls = y if not saliency_predicted else z.view(B, G, K)[:, 0].argmax(1)
        # Input gradients only, as the core's saliency (no parameter gradients).
        (sal,) = torch.autograd.grad(z.gather(1, cls.repeat_interleave(G)[:, None]).sum(), xo)
        sal = sal.view(B, G, n)
        aligned = torch.gather(sal, 2, perm_inv[None].expand(B, G, n)).double()
        z = z.detach().double().view(B, G, K)
        pred = z.argmax(2)
        acc += (pred == y[:, None]).double().sum().item()
        cons += (pred == pred[:, :1]).all(1).double().sum().item()
        p = torch.softmax(z, 2)
        ent = lambda q: -(q * torch.where(q > 0, q.log(), torch.zeros_like(q))).sum(-1)
        jsd += (ent(p.mean(1)) - ent(p).mean(1)).sum().item()
        zc = z - z.mean(2, keepdim=True)
        li_num += (zc - zc.mean(1, keepdim=True)).pow(2).sum().item()
        li_den += zc.pow(2).sum().item()
        ie += (z - z.mean(1, keepdim=True)).pow(2).sum(2).mean(1).sum().item()
        norms = aligned.norm(dim=2)                               # (B, G)
        unit = aligned / torch.where(norms > 0, norms, torch.ones_like(norms))[..., None]
        cos = unit @ unit.transpose(1, 2)                         # (B, G, G)
        both0 = (norms[:, :, None] == 0) & (norms[:, None, :] == 0)
        cos = torch.where(both0, torch.ones_like(cos), cos)
        iu = torch.triu_indices(G, G, 1)
        if G > 1:
            sis += cos[:, iu[0], iu[1]].mean(1).sum().item()
        else:
            sis += B
        with torch.no_grad():
            delta = torch.randn(B, n, generator=gen) * 0.01
            f0, f1 = model(x.reshape(B, n)), model(x.reshape(B, n) + delta)
            sens += ((f1 - f0).double().norm(dim=1) / delta.double().norm(dim=1)).sum().item()
    out = {
        "n_images": N, "group_order": G,
        "orbit_accuracy": acc / (N * G), "orbit_consistency": cons / N,
        "pdi": 1 - jsd / N / math.log(min(G, K)) if min(G, K) > 1 else 1.0,
        "logit_invariance": 1 - li_num / li_den if li_den > 0 else 1.0,
        "sis": sis / N, "invariance_error": ie / N, "sensitivity": sens / N,
        "noninvariant_energy": None,
    }
    with torch.no_grad():
        w1 = model.first_layer().double()
        out["spectrum"] = torch.linalg.svdvals(w1).tolist()
        if model.kind in ("mlp", "tied-mlp"):
            X = model.standardize(x_all).reshape(N, n).double().T  # (n, N)
            WX = w1 @ X
            WPX = w1 @ X[group.perm].mean(0)                       # W·P·X: P averages rows over g
            den = WX.norm().item()
            out["noninvariant_energy"] = (WX - WPX).norm().item() / den if den > 0 else 0.0
    return out


# ---- command line ----

def _write_array(path, a):
    a = np.asarray(a, dtype=np.float32)
    if path.endswith(".npy"):
        np.save(path, a)
    elif path.endswith(".csv"):
        np.savetxt(path, a, delimiter=",", fmt="%.9g")
    else:
        a.astype("<f4").tofile(path)


def _cmd_train(a):
    torch.manual_seed(a.seed)
    if a.threads:
        torch.set_num_threads(a.threads)
    ds = load_dataset(a.dataset)
    images, labels = ds["train"]
    model = build_model(a.model, a.group, images.shape[1], images.shape[2], ds["classes"],
                        [int(s) for s in a.arch.split(",")] if a.arch else None, a.fc)
    init_model(model, a.seed)
    log = (lambda s: print(s, file=sys.stderr, flush=True))
    train(model, images, labels, lam=a.reg, augment=a.augment, orbit_samples=a.orbit_samples,
          epochs=a.epochs, batch=a.batch, optimizer=a.optimizer, lr=a.lr, seed=a.seed,
          limit=a.limit, device=a.device, data_parallel=a.data_parallel,
          dataset_name=a.dataset, class_names=ds["class_names"], log=log)
    save_safetensors(model.cpu(), a.out)
    x, y = ds["test"]
    x, y = x[:a.eval_limit] if a.eval_limit else x, y[:a.eval_limit] if a.eval_limit else y
    group = Group(model.group_name, model.h, model.w)
    with torch.no_grad():
        acc = 0
        for s in range(0, len(x), 256):
            z = _orbit_logits(model, to_pixels(x[s:s + 256]), group)
            acc += (z.argmax(2) == torch.as_tensor(y[s:s + 256]).long()[:, None]).sum().item()
    print(f"saved {a.out}; held-out orbit accuracy {acc / max(len(x) * group.order, 1):.4f} "
          f"on {len(x)} test images × {group.order} group elements")


def _cmd_logits(a):
    model = from_safetensors(a.model)
    if a.images:
        x = torch.from_numpy(np.fromfile(a.images, dtype="<f4")).view(-1, model.h, model.w)
    else:
        x = to_pixels(load_dataset(a.dataset)["test"][0])
    if a.limit:
        x = x[:a.limit]
    with torch.no_grad():
        z = model(x)
    _write_array(a.out, z.numpy())


def _cmd_eval(a):
    model = from_safetensors(a.model)
    ds = load_dataset(a.dataset)
    x, y = ds["test"]
    if a.limit:
        x, y = x[:a.limit], y[:a.limit]
    r = evaluate(model, x, y)
    r.pop("spectrum")
    print(json.dumps({"file": a.model, "kind": model.kind, "group": model.group_name,
                      "metrics": r}))


def main(argv=None):
    p = argparse.ArgumentParser(description="Invariance Lab models in PyTorch: train on any "
                                "device and read/write the app's .safetensors files.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a model and save it as .safetensors")
    t.add_argument("--model", default="mlp", choices=KINDS)
    t.add_argument("--group", default="c4")
    t.add_argument("--dataset", default="fashion", help="fashion or idx:DIR")
    t.add_argument("--reg", type=float, default=0.0, help="invariance-error weight λ")
    t.add_argument("--augment", default="orbit", choices=("orbit", "none"))
    t.add_argument("--orbit-samples", type=int, default=0)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--optimizer", default="adam", choices=("adam", "sgd"))
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--limit", type=int, default=0)
    t.add_argument("--eval-limit", type=int, default=2000)
    t.add_argument("--arch", default=None, help="layer widths, e.g. 8,16,16,16")
    t.add_argument("--fc", type=int, default=None, help="cnn: fully-connected width")
    t.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, …")
    t.add_argument("--data-parallel", action="store_true", help="use every visible GPU")
    t.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's)")
    t.add_argument("--out", required=True)
    t.set_defaults(func=_cmd_train)
    lg = sub.add_parser("logits", help="write a model's logits on test images")
    lg.add_argument("model")
    lg.add_argument("--dataset", default="fashion")
    lg.add_argument("--images", help="raw float32 images (N, H, W) instead of a data set")
    lg.add_argument("--limit", type=int, default=100)
    lg.add_argument("--out", required=True, help=".npy, .csv or raw float32")
    lg.set_defaults(func=_cmd_logits)
    ev = sub.add_parser("eval", help="every metric of DESIGN.md as one JSON line")
    ev.add_argument("model")
    ev.add_argument("--dataset", default="fashion")
    ev.add_argument("--limit", type=int, default=1000)
    ev.set_defaults(func=_cmd_eval)
    a = p.parse_args(argv)
    try:
        a.func(a)
    except (InvlabError, OSError, RuntimeError) as e:
        print(f"invlab_torch: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
