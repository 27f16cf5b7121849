#!/bin/sh
# pubtrack nightly job for cron: sync, render, and (optionally) commit and push.
#
#   crontab -e
#   17 3 * * * /path/to/pubtrack-nightly.sh /path/to/my-cv >> "$HOME/.cache/pubtrack-nightly.log" 2>&1
#
# API keys (optional) go in a file only you can read, sourced below:
#   ~/.config/pubtrack/env:   S2_API_KEY=...   OPENALEX_API_KEY=...   (chmod 600)
# Settings (environment): PUBTRACK (the command, default `pubtrack`, e.g. a venv's
# bin/pubtrack), INJECT (file to fill, default README.md), PUBTRACK_GIT_PUSH=1 to
# commit and push the project when something changed.
#
# Exit code: pubtrack's (0 ok, 3 partial: some sources failed, earlier values
# kept; 1 another sync was running or nothing could be done; 2 bad input).
set -u

project=${1:?usage: pubtrack-nightly.sh PROJECT_DIR}
pubtrack=${PUBTRACK:-pubtrack}
inject=${INJECT:-README.md}
env_file=${PUBTRACK_ENV_FILE:-$HOME/.config/pubtrack/env}

cd "$project" || exit 1
if [ -r "$env_file" ]; then
    set -a
    # shellcheck disable=SC1090
    . "$env_file"
    set +a
fi

echo "== pubtrack nightly $(date -u +%Y-%m-%dT%H:%M:%SZ) in $project"
# Not a terminal: sync prints one log line per source and a summary.
"$pubtrack" sync
code=$?
case $code in
    0) ;;
    3) echo "pubtrack sync: some sources failed (exit 3); earlier values kept" >&2 ;;
    *) echo "pubtrack sync failed (exit $code); nothing rendered" >&2; exit "$code" ;;
esac

if [ -f "$inject" ]; then
    "$pubtrack" render --inject "$inject" || exit $?
fi

if [ -n "${PUBTRACK_GIT_PUSH:-}" ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git add -- "$inject"
    if ! git diff --cached --quiet; then
        git commit -q -m "pubtrack: nightly citation update" && git push -q || exit 1
    fi
fi
exit "$code"
