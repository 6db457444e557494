#!/bin/sh
# Installs BUILD_DIR into a temporary DESTDIR and checks every installed file
# (binaries, .desktop, metainfo, icons, schema, man pages, bash completion)
# with its validator. Usage: test-install.sh BUILD_DIR; exit 0 if all pass, else 1.
set -u

build=${1:?usage: test-install.sh BUILD_DIR}
meson=${MESON:-meson}
app_id=io.github.invlab.InvarianceLab
failures=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-install-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

fail () { echo "FAIL: $*"; failures=$((failures + 1)); }
pass () { echo "ok: $*"; }
need () {
  command -v "$1" >/dev/null 2>&1 && return 0
  fail "$1 is not installed (scripts/install-deps.sh installs it)"
  return 1
}
# check_file PATH: the installed file exists and is not empty.
check_file () {
  if [ -s "$dest$1" ]; then pass "installed $1"; else fail "missing or empty: $1"; fi
}
# run_quiet NAME CMD...: passes when CMD exits 0 and prints nothing on stderr.
run_quiet () {
  name=$1; shift
  if "$@" >"$tmp/out" 2>"$tmp/err" && [ ! -s "$tmp/err" ]; then
    pass "$name"
  else
    fail "$name"; cat "$tmp/err"; head -n 20 "$tmp/out"
  fi
}

# --- install -----------------------------------------------------------------
dest=$tmp/destdir
if ! "$meson" install -C "$build" --destdir "$dest" --no-rebuild >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"
  echo "FAIL: meson install"
  exit 1
fi
pass "meson install --destdir"

# Where things go, from the build's own options (absolute prefix, the others
# relative to it unless set absolute).
"$meson" introspect "$build" --buildoptions >"$tmp/options.json" || { echo "FAIL: meson introspect"; exit 1; }
opt () {
  python3 -c 'import json,sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == sys.argv[2]:
        v = o["value"]
        print(str(v).lower() if isinstance(v, bool) else v)' "$tmp/options.json" "$1"
}
prefix=$(opt prefix)
under_prefix () { case $1 in /*) echo "$1" ;; *) echo "$prefix/$1" ;; esac; }
bindir=$(under_prefix "$(opt bindir)")
datadir=$(under_prefix "$(opt datadir)")
mandir=$(under_prefix "$(opt mandir)")
app=$(opt app)
version=$("$meson" introspect "$build" --projectinfo | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
echo "# prefix $prefix, app $app, version $version"

# Everything meson says it installs is there.
"$meson" introspect "$build" --installed >"$tmp/installed.json"
python3 -c 'import json,sys
for path in json.load(open(sys.argv[1])).values():
    print(path)' "$tmp/installed.json" >"$tmp/installed.txt"
while IFS= read -r path; do
  [ -e "$dest$path" ] || fail "meson lists $path, but it was not installed"
done <"$tmp/installed.txt"

# --- the command line ----------------------------------------------------------
check_file "$bindir/invlab"
if [ -x "$dest$bindir/invlab" ]; then
  out=$(INVLAB_BLAS_AUTOSELECT=0 "$dest$bindir/invlab" --version 2>&1)
  if [ "$out" = "invlab $version" ]; then pass "installed invlab --version"; else fail "installed invlab --version printed '$out'"; fi
else
  fail "invlab is not executable"
fi

# The message catalogs, and the installed invlab speaking from them.
localedir=$(under_prefix "$(opt localedir)")
for lang in de fr; do
  check_file "$localedir/$lang/LC_MESSAGES/invariance-lab.mo"
done
if [ -x "$dest$bindir/invlab" ]; then
  out=$(INVLAB_BLAS_AUTOSELECT=0 INVLAB_LOCALEDIR="$dest$localedir" LC_ALL=C.UTF-8 LANGUAGE=de \
        "$dest$bindir/invlab" --help 2>&1)
  case $out in
    *Befehle*) pass "installed invlab speaks German from $localedir" ;;
    *) fail "installed invlab --help with LANGUAGE=de is not German: $(echo "$out" | head -n 3)" ;;
  esac
fi

man1=$mandir/man1
check_file "$man1/invlab.1"
pages=invlab.1
if [ "$app" = true ]; then
  check_file "$man1/invariance-lab.1"
  pages="$pages invariance-lab.1"
fi
if need groff; then
  for page in $pages; do
    [ -f "$dest$man1/$page" ] && run_quiet "groff -ww $page" groff -Tutf8 -man -ww -z "$dest$man1/$page"
  done
fi
if need man; then
  for page in $pages; do
    [ -f "$dest$man1/$page" ] || continue
    # man --warnings prints troff's warnings on stderr; any is a failure.
    run_quiet "man --warnings $page" env MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$dest$man1/$page"
    grep -q "EXIT STATUS" "$tmp/out" || fail "$page has no EXIT STATUS section"
  done
fi

completion=$datadir/bash-completion/completions/invlab
check_file "$completion"
if need bash && [ -f "$dest$completion" ]; then
  run_quiet "bash -n completion" bash -n "$dest$completion"
  # Completes "invlab tr" to train and "invlab train --model t" to tied-mlp.
  got=$(bash -c '. "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _invlab; echo "${COMPREPLY[*]}"' \
        sh "$dest$completion" "invlab tr")
  [ "$got" = train ] && pass "completion of a command" || fail "completion of 'invlab tr' gave '$got'"
  got=$(bash -c '. "$1"; COMP_LINE=$2; COMP_POINT=${#COMP_LINE}; _invlab; echo "${COMPREPLY[*]}"' \
        sh "$dest$completion" "invlab train --model t")
  [ "$got" = tied-mlp ] && pass "completion of a value" || fail "completion of '--model t' gave '$got'"
fi

if [ "$app" != true ]; then
  echo "# built with -Dapp=false: no desktop files to check"
  [ "$failures" -eq 0 ] && exit 0
  echo "$failures check(s) failed"; exit 1
fi

# --- the application -----------------------------------------------------------
check_file "$bindir/invariance-lab"
[ -x "$dest$bindir/invariance-lab" ] || fail "invariance-lab is not executable"

desktop=$datadir/applications/$app_id.desktop
metainfo=$datadir/metainfo/$app_id.metainfo.xml
schema=$datadir/glib-2.0/schemas/$app_id.gschema.xml
icon=$datadir/icons/hicolor/scalable/apps/$app_id.svg
symbolic=$datadir/icons/hicolor/symbolic/apps/$app_id-symbolic.svg
for f in "$desktop" "$metainfo" "$schema" "$icon" "$symbolic"; do
  check_file "$f"
done

if need desktop-file-validate && [ -f "$dest$desktop" ]; then
  # Hints (lines with "hint:") are advice; errors and warnings fail.
  desktop-file-validate "$dest$desktop" >"$tmp/dfv" 2>&1
  rc=$?
  cat "$tmp/dfv"
  if [ $rc -eq 0 ] && ! grep -v ': hint: ' "$tmp/dfv" | grep -q .; then
    pass "desktop-file-validate"
  else
    fail "desktop-file-validate"
  fi
  exec_bin=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$dest$desktop")
  [ -x "$dest$bindir/$exec_bin" ] && pass "Exec=$exec_bin is installed" || fail "Exec=$exec_bin is not in $bindir"
  icon_name=$(sed -n 's/^Icon=//p' "$dest$desktop")
  [ "$icon_name" = "$app_id" ] && pass "Icon=$icon_name" || fail "Icon=$icon_name is not $app_id"
  # Translations merged from po/: a German and a French comment, each
  # different from the English one.
  comment=$(sed -n 's/^Comment=//p' "$dest$desktop")
  for lang in de fr; do
    got=$(sed -n "s/^Comment\[$lang\]=//p" "$dest$desktop")
    if [ -n "$got" ] && [ "$got" != "$comment" ]; then
      pass "Comment[$lang]=$got"
    else
      fail "the .desktop file has no $lang translation of Comment"
    fi
  done
fi

if need appstreamcli && [ -f "$dest$metainfo" ]; then
  appstreamcli validate --no-net --explain "$dest$metainfo" >"$tmp/as" 2>&1
  rc=$?
  cat "$tmp/as"
  [ $rc -eq 0 ] && pass "appstreamcli validate --no-net" || fail "appstreamcli validate --no-net"
  for want in "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" \
              "<binary>invariance-lab</binary>" "<binary>invlab</binary>" \
              "<content_rating type=\"oars-1.1\"" "<release version=\"$version\"" \
              "<screenshot type=\"default\">" "<url type=\"homepage\">"; do
    grep -qF "$want" "$dest$metainfo" || fail "metainfo lacks $want"
  done
  for lang in de fr; do
    n=$(grep -c "xml:lang=\"$lang\"" "$dest$metainfo")
    [ "$n" -ge 20 ] && pass "metainfo has $n $lang translations" \
      || fail "metainfo has $n elements in $lang (summary, description, release notes expected)"
    grep -q "<summary xml:lang=\"$lang\">" "$dest$metainfo" || fail "metainfo lacks a $lang summary"
  done
  for bin in $(sed -n 's/.*<binary>\(.*\)<\/binary>.*/\1/p' "$dest$metainfo"); do
    [ -x "$dest$bindir/$bin" ] || fail "metainfo provides $bin, which is not installed"
  done
fi

if need glib-compile-schemas && [ -f "$dest$schema" ]; then
  schemadir=$dest$datadir/glib-2.0/schemas
  run_quiet "glib-compile-schemas --strict --dry-run" glib-compile-schemas --strict --dry-run "$schemadir"
  # meson skips its post-install steps under DESTDIR (packages run them from
  # their triggers); compile here exactly as gnome.post_install would.
  glib-compile-schemas --strict "$schemadir" && [ -s "$schemadir/gschemas.compiled" ] \
    && pass "gschemas.compiled" || fail "glib-compile-schemas did not write gschemas.compiled"
  if need gsettings; then
    before=$failures
    for kv in "dataset 'fashion'" "group 'c4'" "architecture 'mlp'" "worker-threads 2" \
              "colormap 'viridis'" "eval-subset-size 256" "lambda 1.0" "align-to-identity true" \
              "default-dataset-folder ''" "window-maximized false"; do
      key=${kv%% *}; want=${kv#* }
      got=$(GSETTINGS_BACKEND=memory gsettings --schemadir "$schemadir" get "$app_id" "$key" 2>&1)
      [ "$got" = "$want" ] || fail "gsettings get $key gave '$got', expected '$want'"
    done
    [ "$failures" -eq "$before" ] && pass "schema defaults"
    # Every key has a summary and a description.
    n_keys=$(grep -c '<key ' "$dest$schema")
    [ "$(grep -c '<summary>' "$dest$schema")" -eq "$n_keys" ] \
      && [ "$(grep -c '<description>' "$dest$schema")" -eq "$n_keys" ] \
      && pass "$n_keys keys, each with summary and description" \
      || fail "a schema key lacks a summary or a description"
  fi
fi

for svg in "$icon" "$symbolic"; do
  [ -f "$dest$svg" ] || continue
  if command -v xmllint >/dev/null 2>&1; then
    run_quiet "xmllint $(basename "$svg")" xmllint --noout "$dest$svg"
  fi
done
grep -q 'viewBox="0 0 16 16"' "$dest$symbolic" 2>/dev/null || fail "the symbolic icon is not 16×16"

if [ "$failures" -eq 0 ]; then
  echo "all install checks passed"
  exit 0
fi
echo "$failures check(s) failed"
exit 1
