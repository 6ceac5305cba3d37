# Every dependency comes from Debian 12's packages (DESIGN "Dependencies").
find_package(Threads REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(hiredis REQUIRED IMPORTED_TARGET hiredis)   # 0.14's CMake file defines no target
find_package(tomlplusplus REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)

# Asio 1.22 is header-only with no CMake or pkg-config files. ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio
# 1.22 picks aligned_alloc or operator new for its recycled handler and coroutine-frame memory by
# whether <bits/c++config.h> came before its config header in each translation unit, so two files
# could allocate and free one block differently (ASan: alloc-dealloc-mismatch). One choice for all;
# consumers get it through this target too.
if(NOT TARGET ucm::asio)
  find_path(UCM_ASIO_INCLUDE_DIR asio.hpp REQUIRED)
  add_library(ucm::asio INTERFACE IMPORTED)
  set_target_properties(ucm::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${UCM_ASIO_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_DISABLE_STD_ALIGNED_ALLOC"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
