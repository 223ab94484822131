#!/usr/bin/env bash
# Build the deployable CloudFormation package of one stage:
#   infra/package.sh prod out/
# then deploy it (see README, "Deploy").
#
# Lambda's runtime is the version of the Python that runs `chalice package` (it also picks
# the wheels and their C library), so the package is built in a venv of its own with
# Python 3.13 (3.12 if 3.13 is missing; PORTWAY_LAMBDA_PYTHON to choose), for arm64
# (Graviton: `lambda_architecture` in .chalice/config.json). The venv is cached under
# .cache/. Every Python file in the zip is compiled to that version's bytecode: Lambda's
# code directory is read-only, so without it every cold start would compile them again.
set -euo pipefail
stage=${1:?usage: infra/package.sh STAGE OUTDIR}
out=${2:?usage: infra/package.sh STAGE OUTDIR}
cd "$(dirname "$0")/.."
bin=.venv/bin

find_python() {  # the first that runs: on PATH, then pyenv's versions (shims may not be active)
  local candidate
  for candidate in python3.13 python3.12 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12; do
    if "$candidate" -c 'import venv' >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
}
lambda_python=${PORTWAY_LAMBDA_PYTHON:-$(find_python)}
if [ -z "$lambda_python" ]; then
  echo "error: packaging needs python3.13 or python3.12 (Lambda's runtime is its version)." >&2
  echo "Install one, or name it in PORTWAY_LAMBDA_PYTHON." >&2
  exit 2
fi
version=$("$lambda_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
reqs=$(cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
pack=.cache/lambda-python$version-$reqs
if [ ! -x "$pack/bin/chalice" ]; then
  rm -rf .cache/lambda-python"$version"-*
  "$lambda_python" -m venv "$pack"
  "$pack/bin/python" -m pip install -q --upgrade "pip<26.3"  # chalice 1.34 wants pip below 26.3
  "$pack/bin/python" -m pip install -q -r requirements.txt "$(grep '^chalice==' requirements-dev.txt)"
fi

"$bin/portway" infra render --check
make -s i18n-compile  # the compiled catalogues travel in chalicelib/translations/
rm -rf "$out"
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-central-1} \
  "$pack/bin/chalice" package --stage "$stage" --merge-template infra/template.json "$out"
PYTHONPATH=. "$pack/bin/python" -m portway_ops.precompile "$out/deployment.zip"
"$bin/python" -m portway_ops.packaging "$out"
echo "Packaged stage $stage for python$version on arm64 into $out (sam.json + deployment.zip)."
