#!/bin/sh
# pubtrack nightly job, written by `pubtrack schedule @@KIND@@` on @@DATE@@.
# Runs sync and the renders in @@PROJECT_TEXT@@, and (with PUBTRACK_GIT_PUSH=1)
# commits and pushes the files that changed. cron and systemd start it with a
# bare environment, so every path below is absolute.
#
# API keys (optional), one NAME=value per line, readable only by you (chmod 600):
#   @@ENV_FILE_TEXT@@
# Exit code: pubtrack sync's (0 ok; 3 partial: some sources failed, earlier
# values kept), or 1/2 when a step failed and nothing was committed.
set -u

PROJECT=@@PROJECT@@
ENV_FILE=${PUBTRACK_ENV_FILE:-@@ENV_FILE@@}
GIT_PUSH=${PUBTRACK_GIT_PUSH:-@@PUSH@@}
PATH=/usr/local/bin:/usr/bin:/bin${PATH:+:$PATH}
export PATH

# The pubtrack that wrote this file (a virtualenv's or pipx's is not on cron's PATH).
pubtrack() {
    @@PUBTRACK@@ "$@"
}

# Refuses a render that emptied a region which had content (a bib moved away or
# emptied by mistake): the file is put back and the job stops, nothing committed.
render_into() {
    before=$(mktemp) || exit 1
    cp -p -- "$1" "$before"
    pubtrack render --inject "$1" --exit-code
    rendered=$?
    if [ "$rendered" -eq 4 ] && ! @@PYTHON@@ -m pubtrack.schedule guard "$before" "$1"; then
        cp -p -- "$before" "$1"
        rm -f -- "$before"
        echo "$1: a pubtrack region would have been emptied; file left as it was" >&2
        exit 1
    fi
    rm -f -- "$before"
    return "$rendered"
}

# With PUBTRACK_GIT_PUSH=1, each changed file is staged for the commit at the end.
stage() {
    if [ "$GIT_PUSH" = "1" ] && [ -e "$1" ]; then
        git add -- "$1" 2>/dev/null || true
    fi
}

cd "$PROJECT" || exit 1
if [ -r "$ENV_FILE" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
fi

echo "== pubtrack nightly $(date -u +%Y-%m-%dT%H:%M:%SZ) in $PROJECT"
pubtrack sync@@SYNC_ARGS@@
code=$?
case $code in
    0) ;;
    3) echo "pubtrack sync: some sources failed (exit 3); earlier values kept" >&2 ;;
    *) echo "pubtrack sync failed (exit $code); nothing rendered" >&2; exit "$code" ;;
esac

@@RENDERS@@

if [ "$GIT_PUSH" = "1" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if ! git diff --cached --quiet; then
        git commit -q -m "pubtrack: nightly citation update" && git push -q || exit 1
    fi
fi
exit "$code"
