# minishop_provision: `minishop users provision` (bulk load-test accounts and their tokens).
# Kept in its own file so the load-testing path stays apart from the serving object graph;
# included from tools/stampede/CMakeLists.txt, which is what needs these accounts.
if(NOT TARGET minishop_provision)
  add_library(minishop_provision ${CMAKE_CURRENT_LIST_DIR}/provision.cc)
  target_include_directories(minishop_provision PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(minishop_provision PUBLIC minishop_common PRIVATE minishop_auth minishop_pg)
  target_link_libraries(minishop PRIVATE minishop_provision)
endif()
