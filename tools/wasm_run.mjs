// Runs one test module on MicroPython's WebAssembly build (npm
// @micropython/micropython-webassembly-pyscript) under node, for the [wasm32] lane.
//
// Usage: node tools/wasm_run.mjs PACKAGE_DIR HEAPSIZE LIBDIR TESTSDIR MODULE RUNTIME [TEST ...]
//
// PACKAGE_DIR holds micropython.mjs (and micropython.wasm); HEAPSIZE is the size in bytes
// of the GC heap's first area (this variant grows the heap from malloc when it is full).
// The .py files of LIBDIR/mpalloc, TESTSDIR (test_*.py, support.py), TESTSDIR/../examples
// (which tests import as "tests/../examples") and tools/device/mptest.py are copied into the
// in-memory file system (/lib, /tests, /examples, /tools), then
// mptest.main("/lib", "/tests", MODULE, RUNTIME, [TEST, ...]) prints the @@MPT protocol.
// Exit code: 0 when mptest finished, 1 on an uncaught Python error or a wasm trap.

import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const [pkgDir, heapText, libDir, testsDir, modname, runtime, ...names] = process.argv.slice(2);
if (!runtime) {
    process.stderr.write("usage: node wasm_run.mjs PACKAGE_DIR HEAPSIZE LIBDIR TESTSDIR MODULE RUNTIME [TEST ...]\n");
    process.exit(2);
}
const here = path.dirname(url.fileURLToPath(import.meta.url));

// Lines go straight to the pipe (synchronous on Linux), so a crash keeps what came before.
const out = (line) => process.stdout.write(line + "\n");

const { loadMicroPython } = await import(url.pathToFileURL(path.join(path.resolve(pkgDir), "micropython.mjs")).href);
const mp = await loadMicroPython({ heapsize: Number(heapText), stdout: out, stderr: out });

function copyTree(srcDir, dstDir, keep) {
    mp.FS.mkdirTree(dstDir);
    for (const entry of fs.readdirSync(srcDir, { withFileTypes: true })) {
        const src = path.join(srcDir, entry.name);
        const dst = dstDir + "/" + entry.name;
        if (entry.isDirectory()) {
            if (entry.name !== "__pycache__") copyTree(src, dst, keep);
        } else if (keep(entry.name)) {
            mp.FS.writeFile(dst, fs.readFileSync(src));
        }
    }
}

const isModule = (name) => name.endsWith(".py") || name.endsWith(".mpy");
copyTree(path.join(libDir, "mpalloc"), "/lib/mpalloc", isModule);
copyTree(testsDir, "/tests",
    (name) => name === "support.py" || (name.startsWith("test_") && name.endsWith(".py")));
const examples = path.join(testsDir, "..", "examples");
if (fs.existsSync(examples)) copyTree(examples, "/examples", (name) => name.endsWith(".py"));
mp.FS.mkdirTree("/tools");
mp.FS.writeFile("/tools/mptest.py", fs.readFileSync(path.join(here, "device", "mptest.py")));

// Names reach Python as a JSON list: no quoting to get wrong.
const code = [
    "import sys, json",
    "sys.path.append('/tools')",
    "import mptest",
    "mptest.main('/lib', '/tests', " + JSON.stringify(modname) + ", "
        + JSON.stringify(runtime) + ", json.loads(" + JSON.stringify(JSON.stringify(names)) + "))",
].join("\n");
try {
    mp.runPython(code);
} catch (e) {
    // A Python exception that escaped mptest, or a wasm trap (RuntimeError: unreachable...).
    out("@@WASM crashed: " + (e && e.stack ? e.stack : String(e)));
    process.exit(1);
}
