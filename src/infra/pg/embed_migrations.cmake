# Generates a C++ source holding every migrations/*.sql file, so that the binary needs no
# files at run time. Run as: cmake -DDIR=<migrations dir> -DOUTPUT=<file.cc> -P <this file>
file(GLOB files LIST_DIRECTORIES false "${DIR}/*.sql")
list(SORT files)
set(entries "")
foreach(path IN LISTS files)
  get_filename_component(name "${path}" NAME)
  file(READ "${path}" sql)
  string(APPEND entries "      {\"${name}\", R\"minishop_sql(${sql})minishop_sql\"},\n")
endforeach()
set(source "// Generated from migrations/*.sql by embed_migrations.cmake. Do not edit.
#include \"infra/pg/migrate.h\"

namespace minishop::pg {

std::vector<MigrationFile> EmbeddedMigrationFiles() {
  return {
${entries}  };
}

}  // namespace minishop::pg
")
file(WRITE "${OUTPUT}.tmp" "${source}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
