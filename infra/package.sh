#!/usr/bin/env bash
# Build the deployable CloudFormation package of one stage:
#   infra/package.sh prod out/
# then deploy it (see README, "Deploy"). The app's and its dependencies' Python files are
# compiled to bytecode inside the zip: Lambda's code directory is read-only, so without
# this every cold start would compile them again.
set -euo pipefail
stage=${1:?usage: infra/package.sh STAGE OUTDIR}
out=${2:?usage: infra/package.sh STAGE OUTDIR}
cd "$(dirname "$0")/.."
bin=.venv/bin
"$bin/portway" infra render --check
make -s i18n-compile  # the compiled catalogues travel in chalicelib/translations/
rm -rf "$out"
"$bin/chalice" package --stage "$stage" --merge-template infra/template.json "$out"
"$bin/python" -m portway_ops.precompile "$out/deployment.zip"
echo "Packaged stage $stage into $out (sam.json + deployment.zip)."
