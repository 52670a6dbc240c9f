# Warnings for our own targets only (Debian's headers are system headers).
add_library(eventlens_warnings INTERFACE)
target_compile_options(eventlens_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(EVENTLENS_WERROR)
  target_compile_options(eventlens_warnings INTERFACE -Werror)
endif()
if(EVENTLENS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# simdjson's On-Demand API picks its kernel (fallback, westmere, haswell,
# icelake) when it is compiled, not at run time: without -march it falls back
# to the scalar kernel, several times slower. eventlens is built where it
# runs, so the default is the build machine's own instruction set.
set(EVENTLENS_MARCH "native" CACHE STRING "-march value (empty: compiler default)")
if(EVENTLENS_MARCH)
  add_compile_options(-march=${EVENTLENS_MARCH})
endif()

# The fuzz build instruments everything it compiles for coverage, so that
# libFuzzer sees inside the decoders, not only the fuzz entry points.
if(EVENTLENS_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
