# `cmake --install <build> --prefix P` installs the program, the area libraries, the public headers
# and the CMake package dropperc (P/lib/cmake/dropperc), so that another project can write
#   find_package(dropperc REQUIRED)
#   target_link_libraries(app PRIVATE dropperc::core)
# The libraries are static: the package finds again what they link privately (cmake/
# dropperc-config.cmake.in), as CMake requires of static libraries' link dependencies.
include(CMakePackageConfigHelpers)

get_property(dropperc_areas GLOBAL PROPERTY DROPPERC_AREAS)
install(TARGETS ${dropperc_areas} EXPORT dropperc-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS dropperc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/dropperc DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(dropperc_package_dir ${CMAKE_INSTALL_LIBDIR}/cmake/dropperc)
install(EXPORT dropperc-targets NAMESPACE dropperc:: DESTINATION ${dropperc_package_dir})
configure_package_config_file(cmake/dropperc-config.cmake.in
                              ${PROJECT_BINARY_DIR}/dropperc-config.cmake
                              INSTALL_DESTINATION ${dropperc_package_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dropperc-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dropperc-config.cmake
              ${PROJECT_BINARY_DIR}/dropperc-config-version.cmake
        DESTINATION ${dropperc_package_dir})
