# Sourced by bench/solvebak and bench/ann (and tests/test_bench_peers.test):
# which python runs the peers, and how to start a driver.

# Prints the python that runs the peers: the first of Debian's /usr/bin/python3
# (it sees python3-numpy, where a pyenv python3 earlier on PATH may not) and
# python3 on PATH (a GPU machine's, with numpy and cupy from pip) that imports
# numpy and cupy, else the first that imports numpy; fails if none does.
bench_python() {
    local py want
    for want in 'import numpy, cupy' 'import numpy'; do
        for py in /usr/bin/python3 python3; do
            if "$py" -c "$want" 2>/dev/null; then
                command -v "$py"
                return 0
            fi
        done
    done
    return 1
}

# bench_driver DIR NAME: sets the array `driver` to the command that runs the
# driver DIR/NAME; through DIR/../run when DIR is the bin/ of a bundle made by
# scripts/gpu-bundle (that script points LD_LIBRARY_PATH at the bundle's
# libraries). Fails, saying so, when DIR/NAME is not an executable program.
bench_driver() {
    local dir name=$2
    if ! dir=$(cd "$1" 2>/dev/null && pwd) || [ ! -f "$dir/$name" ] || [ ! -x "$dir/$name" ]; then
        echo "starbak: bench: $1/$name is missing: build first (make), or name the drivers' folder with --bin" >&2
        return 1
    fi
    if [ "$(head -c 4 "$dir/$name")" != $'\177ELF' ]; then
        echo "starbak: bench: $dir/$name is not a driver program (a script copied over it?)" >&2
        return 1
    fi
    driver=("$dir/$name")
    if [ -f "$dir/../run" ] && [ -x "$dir/../run" ]; then
        driver=("$(cd "$dir/.." && pwd)/run" "$dir/$name")
    fi
}
