# getenv_trace.gdb: every getenv and secure_getenv of a process, glibc's
# calls to itself included (a breakpoint on the function sees those; the
# LD_PRELOAD tracer getenv_trace.c does not). For SECURITY.md's inventory:
#   gdb -batch -x ENV_FILE -x tests/tools/getenv_trace.gdb -ex run --args PROGRAM ARGS... 2>&1 |
#       grep -A3 '^getenv-trace'
# ENV_FILE holds the inferior's environment as `set environment NAME VALUE`
# lines (gdb's own environment stays clean: no wrappers preloaded into gdb).
set pagination off
set confirm off
set breakpoint pending on
break getenv
commands
silent
printf "getenv-trace getenv %s\n", (char *) $rdi
bt 3
continue
end
break secure_getenv
commands
silent
printf "getenv-trace secure_getenv %s\n", (char *) $rdi
bt 3
continue
end
