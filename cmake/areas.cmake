# dropperc_add_area(<area> SOURCES <files...> [PUBLIC <targets...>] [PRIVATE <targets...>])
#
# The library dropperc_<area> (alias dropperc::<area>) of the sources of src/<area>/. Its public
# headers are include/dropperc/<area>/*.hpp; in the build tree it sees them through a directory
# of its own, build/areas/<area>/dropperc/<area> (a link to include/dropperc/<area>), and the
# headers of other areas only through the targets it links. Installed, every area's headers sit
# under <prefix>/include/dropperc/<area>/.
function(dropperc_add_area area)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  set(target dropperc_${area})
  add_library(${target} ${ARG_SOURCES})
  add_library(dropperc::${area} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${area} OUTPUT_NAME dropperc_${area})
  set(root ${PROJECT_BINARY_DIR}/areas/${area})
  file(MAKE_DIRECTORY ${root}/dropperc)
  if(NOT EXISTS ${root}/dropperc/${area})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/dropperc/${area} ${root}/dropperc/${area}
         SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${root}>
                                              $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} PUBLIC cxx_std_20)  # the public headers are C++20
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE}
                                                               $<BUILD_INTERFACE:dropperc_warnings>)
  set_property(GLOBAL APPEND PROPERTY DROPPERC_AREAS ${target})
endfunction()
