#!/usr/bin/env bash
# Vendor the query page's SPARQL editor: YASGUI (@zazuko/yasgui, MIT) from the npm registry
# at the pinned VERSION, its tarball checked against the pinned INTEGRITY, into DIR (git-
# ignored), which Parley serves itself: nothing reaches a CDN at run time.
#
# Usage: vendor_yasgui.sh VERSION INTEGRITY DIR
#
# It never fails: without npm, or without the registry, it says so and the query page keeps
# its plain form (a textarea that the server answers), so `make run` goes on. The browser
# tests of the query page fail with a message that names `make yasgui`.
set -uo pipefail
version="$1" integrity="$2" dir="$3"
here="$(cd "$(dirname "$0")" && pwd)"

if grep -qs "\"version\": \"$version\"" "$dir/package.json" && [ -s "$dir/yasgui.min.js" ] && [ -s "$dir/LICENSE.txt" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "npm is missing: the query page keeps its plain form (install Node.js and npm, then run 'make yasgui' for the SPARQL editor)"
  exit 0
fi
echo "Vendoring YASGUI $version for the query page (npm)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! npm pack --silent --pack-destination "$work" "@zazuko/yasgui@$version" >/dev/null; then
  echo "npm could not fetch @zazuko/yasgui@$version: the query page keeps its plain form (run 'make yasgui' again when the registry answers)"
  exit 0
fi
tarball="$work/zazuko-yasgui-$version.tgz"
# npm checks the registry's own hash; this checks the pinned one, so a republished or
# substituted tarball is refused rather than served.
got="$(node -e 'const c = require("crypto"), f = require("fs");
  process.stdout.write("sha512-" + c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
if [ "$got" != "$integrity" ]; then
  echo "@zazuko/yasgui@$version does not match its pinned integrity (got $got): not vendored, the query page keeps its plain form"
  exit 0
fi
tar -xzf "$tarball" -C "$work" package/package.json package/build/yasgui.min.js package/build/yasgui.min.css || exit 0
mkdir -p "$work/out"
cp "$work/package/build/yasgui.min.js" "$work/package/build/yasgui.min.css" "$work/package/package.json" "$work/out/"
# The package ships no licence file (its package.json says MIT): the upstream one is kept
# beside the code, with the licences of the libraries the bundle holds.
cp "$here/yasgui.LICENSE" "$work/out/LICENSE.txt"  # .txt: served as text, not a download
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$work/out" "$dir"
echo "YASGUI $version is in $dir"
