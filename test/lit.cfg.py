# lit configuration shared by every Pydron suite (pass/, e2e/, runtime/, ...).
import os
import platform

import lit.formats
import lit.util

config.name = "Pydron"
config.test_format = lit.formats.ShTest(not lit.util.which("bash") is None)
config.suffixes = [".ll", ".c", ".test", ".sh"]
config.excludes = ["Inputs", "CMakeLists.txt", "lib"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.pydron_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, os.path.join(config.pydron_obj_root, "bin"),
     config.environment.get("PATH", os.environ.get("PATH", ""))])
for var in ["PYDRON_CONF", "PYDRON_DISABLE", "PYDRON_WORKERS", "PYDRON_REPORT",
            "PYDRON_TRACE"]:
    config.environment.pop(var, None)
config.environment["HOME"] = os.environ.get("HOME", "/root")

lib = os.path.join(config.pydron_obj_root, "lib")
include = os.path.join(config.pydron_src_root, "runtime", "include")
plugin = os.path.join(lib, "libpydron.so")
clang = config.clang
opt = os.path.join(config.llvm_tools_dir, "opt")

config.substitutions.append(("%plugin", plugin))
config.substitutions.append(("%rt_include", include))
# Every runtime source, for tests that build the runtime with sanitizers.
import glob
config.substitutions.append(("%rt_sources", " ".join(
    sorted(glob.glob(os.path.join(config.pydron_src_root, "runtime", "src", "*.c"))))
    + " -ljansson -lssh2 -lcrypto -lcurl"))
# %rt_link before %rt_lib: lit substitutes in order.
config.substitutions.append(("%rt_link", "%s/libpydron_rt.a -ljansson -lssh2 -lcrypto -lcurl -lz -ldl -lpthread -lm" % lib))
config.substitutions.append(("%rt_lib", lib))
config.substitutions.append(("%pydron_cc", os.path.join(config.pydron_obj_root, "bin", "pydron-cc")))
config.substitutions.append(("%clang_pydron",
    "%s -fpass-plugin=%s -fplugin=%s -I%s" % (clang, plugin, plugin, include)))
config.substitutions.append(("%clang_plain", "%s -I%s" % (clang, include)))
config.substitutions.append(("%opt_pydron", "%s -load-pass-plugin=%s" % (opt, plugin)))
config.substitutions.append(("%clang", clang))
config.substitutions.append(("%opt", opt))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%src_root", config.pydron_src_root))
config.substitutions.append(("%{obj_root}", config.pydron_obj_root))
config.substitutions.append(("%e2e", "bash %s" % os.path.join(config.pydron_src_root, "test", "e2e", "lib", "e2e.sh")))

if config.pydron_test_mode == "long":
    config.available_features.add("long")
config.available_features.add(platform.machine())
