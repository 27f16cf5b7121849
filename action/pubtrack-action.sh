#!/usr/bin/env bash
# The steps of the pubtrack GitHub Action (action.yml), as one script the tests
# run locally: guard, sync, render, summary, commit and push only on change.
#
# Settings come from the environment (action.yml maps its inputs to these):
#   PT_INJECT          files with pubtrack markers to refresh (space or newline separated)
#   PT_RENDER_OPTIONS  extra `pubtrack render` options for every render (e.g. --selected)
#   PT_HISTORY_FILE    citation history CSV kept in the repository ('' for none)
#   PT_PAGE            write the standalone page here ('' for none)
#   PT_DATA_FILE       write the JSON data file here ('' for none)
#   PT_ALFOLIO         write al-folio's citations.yml here ('' for none)
#   PT_BADGES          write shields.io badge JSON into this directory ('' for none)
#   PT_STRICT          true: any BibTeX problem (warnings too) stops the job
#   PT_COMMIT          true: commit what changed; PT_PUSH true: and push it
#   PT_COMMIT_MESSAGE  the commit message
#   PT_SINCE           period for the summary (`pubtrack changes --since`), default 1d
#   PUBTRACK_PYTHON    the interpreter pubtrack is installed in (default python3)
# Exit code: 0 (also when some sources failed: a warning), 1 when a guard
# stopped the job (nothing committed), else the failing command's code.
set -uo pipefail

INJECT=${PT_INJECT:-README.md}
RENDER_OPTIONS=${PT_RENDER_OPTIONS:-}
HISTORY_FILE=${PT_HISTORY_FILE-data/citations.csv}
PAGE=${PT_PAGE:-}
DATA_FILE=${PT_DATA_FILE:-}
ALFOLIO=${PT_ALFOLIO:-}
BADGES=${PT_BADGES:-}
STRICT=${PT_STRICT:-false}
COMMIT=${PT_COMMIT:-true}
PUSH=${PT_PUSH:-true}
MESSAGE=${PT_COMMIT_MESSAGE:-pubtrack: nightly citation update}
SINCE=${PT_SINCE:-1d}
PYTHON=${PUBTRACK_PYTHON:-python3}
SUMMARY=${GITHUB_STEP_SUMMARY:-/dev/stdout}
OUTPUT=${GITHUB_OUTPUT:-/dev/null}

# Workflow commands become annotations on GitHub and plain lines elsewhere.
warning() { echo "::warning title=pubtrack::$1"; }
error() { echo "::error title=pubtrack::$1"; }

read -r -a render_options <<<"$RENDER_OPTIONS"
read -r -d '' -a inject_files <<<"$INJECT" || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Guard: a broken bib stops the job before anything is fetched or written.
pubtrack check >"$work/check.out" 2>"$work/check.err"
check_code=$?
cat "$work/check.out" "$work/check.err"
if [ "$check_code" -ne 0 ]; then
    errors=$(grep -oE '[0-9]+ error\(s\)' "$work/check.err" | grep -oE '^[0-9]+' || echo 1)
    if [ "$STRICT" = "true" ] || [ "${errors:-1}" -gt 0 ]; then
        error "pubtrack check found problems in the bib files (listed above); nothing committed"
        exit 1
    fi
    warning "pubtrack check: warnings only (listed above)"
fi

# 2. Sync: exit 3 (some sources failed; earlier values kept) is a warning.
sync_args=()
if [ -n "$HISTORY_FILE" ]; then
    sync_args+=(--history-file "$HISTORY_FILE")
fi
pubtrack sync "${sync_args[@]}"
sync_code=$?
case $sync_code in
    0) ;;
    3) warning "some sources failed (exit 3); earlier counts kept" ;;
    *) error "pubtrack sync failed (exit $sync_code); nothing committed"; exit "$sync_code" ;;
esac

# 3. Renders. A region that had content is never emptied (the file is restored).
changed_files=()
if [ -n "$HISTORY_FILE" ]; then
    changed_files+=("$HISTORY_FILE")
fi
for file in "${inject_files[@]}"; do
    if [ ! -f "$file" ]; then
        error "$file: no such file (input inject)"
        exit 1
    fi
    cp -p -- "$file" "$work/before"
    pubtrack render --inject "$file" "${render_options[@]}" || exit $?
    if ! "$PYTHON" -m pubtrack.schedule guard "$work/before" "$file"; then
        cp -p -- "$work/before" "$file"
        error "$file: a pubtrack region would have been emptied; file left as it was, nothing committed"
        exit 1
    fi
    changed_files+=("$file")
done
if [ -n "$PAGE" ]; then
    pubtrack render --standalone --output "$PAGE" "${render_options[@]}" || exit $?
    changed_files+=("$PAGE")
fi
if [ -n "$DATA_FILE" ]; then
    mkdir -p -- "$(dirname -- "$DATA_FILE")"
    pubtrack render --format json --output "$DATA_FILE" "${render_options[@]}" || exit $?
    changed_files+=("$DATA_FILE")
fi
if [ -n "$ALFOLIO" ]; then
    mkdir -p -- "$(dirname -- "$ALFOLIO")"
    pubtrack render --format alfolio --output "$ALFOLIO" || exit $?
    changed_files+=("$ALFOLIO")
fi
if [ -n "$BADGES" ]; then
    pubtrack badge --output "$BADGES" || exit $?
    changed_files+=("$BADGES")
fi

# 4. What changed, for the run's summary page.
{
    echo "### pubtrack"
    echo
    echo '```'
    pubtrack changes --since "$SINCE"
    echo '```'
} >>"$SUMMARY"

# 5. Commit and push only when a file changed.
if [ "$COMMIT" != "true" ]; then
    echo "changed=unknown" >>"$OUTPUT"
    exit 0
fi
existing=()
for path in "${changed_files[@]}"; do
    if [ -e "$path" ]; then
        existing+=("$path")
    fi
done
if [ "${#existing[@]}" -gt 0 ]; then
    git add -- "${existing[@]}"
fi
if git diff --cached --quiet; then
    echo "Nothing changed; no commit."
    echo "changed=false" >>"$OUTPUT"
    exit 0
fi
if [ -z "$(git config user.email || true)" ]; then
    git config user.name "github-actions[bot]"
    git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
fi
git commit -q -m "$MESSAGE" || exit 1
echo "Committed: $(git log -1 --format=%h) $MESSAGE"
echo "changed=true" >>"$OUTPUT"
if [ "$PUSH" = "true" ]; then
    git push -q || { error "git push failed"; exit 1; }
fi
exit 0
