# AX_CHECK_COMPILE_FLAG(FLAG, [ACTION-SUCCESS], [ACTION-FAILURE])
# Checks whether the C compiler accepts FLAG (compiles an empty program with it).
AC_DEFUN([AX_CHECK_COMPILE_FLAG],
[AS_VAR_PUSHDEF([CACHEVAR], [dt_cv_cflags_$1])dnl
AC_CACHE_CHECK([whether the C compiler accepts $1], CACHEVAR, [
  dt_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $1"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
    [AS_VAR_SET(CACHEVAR, [yes])], [AS_VAR_SET(CACHEVAR, [no])])
  CFLAGS=$dt_save_CFLAGS])
AS_VAR_IF(CACHEVAR, [yes], [m4_default([$2], :)], [m4_default([$3], :)])
AS_VAR_POPDEF([CACHEVAR])])
