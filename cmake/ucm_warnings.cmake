# Warnings apply to ucm's own targets only, never through CMAKE_CXX_FLAGS (STYLE B9).
function(ucm_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  # g++ 12 with optimisation (-O1 in the sanitizer presets) reports Asio's coroutine frames, which
  # bring their own operator new/delete, as "mismatched new/delete" (a false positive: the frame is
  # allocated and freed by the same class). Seen in tests/unit/pool/async_pool_concurrency_test.cpp.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(UCM_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
