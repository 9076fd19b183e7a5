# Sourced by ralph.sh and learning_locker.sh: messages, arguments, and installing once into the
# cache shared by every test session of this machine.
# shellcheck shell=bash

name=$(basename "$0")
cache=${TRAINOPS_LRS_CACHE:-$HOME/.cache/trainops-lrs}
here=$(cd "$(dirname "$0")" && pwd)

say() { echo "$name: $*" >&2; }
fail() {
    say "$*"
    exit 1
}

# port_argument PORT: PORT is a TCP port number, or the script stops.
port_argument() {
    [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || fail "PORT must be a TCP port number, got '$1'"
}

# absolute_dir DIR: make DIR and print its absolute path.
absolute_dir() {
    mkdir -p "$1" && (cd "$1" && pwd)
}

# install_once DIR COMMAND...: unless DIR holds a finished install, empty it and run COMMAND to fill
# it. A lock keeps two test sessions from installing into DIR at the same time.
install_once() {
    local dir=$1
    shift
    mkdir -p "$(dirname "$dir")"
    exec 9>"$dir.lock"
    flock 9
    if [ ! -f "$dir/.installed" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        "$@" || fail "installing into $dir failed"
        touch "$dir/.installed"
    fi
    exec 9>&-
}
