# Script mode (cmake -DSOURCE_DIR=... -DOUTPUT_DIR=... -P embed_sql.cmake).
# Compiles the catalog's SQL into the library as generated headers:
#
#   OUTPUT_DIR/catalog/queries.h      the dialect-neutral names: enum class
#                                     QueryId and ScriptId, one value per block
#   OUTPUT_DIR/catalog/sqlite_sql.h   SQLite's text for every name
#                                     (queries/sqlite/*.sql) and its
#                                     migrations (migrations/NNNN_name.sql)
#   OUTPUT_DIR/catalog/postgres_sql.h PostgreSQL's text for every name
#                                     (queries/postgres/*.sql), its
#                                     migrations (migrations/postgres/
#                                     NNNN_name.sql) and its per-connection
#                                     setup (migrations/postgres/session.sql)
#
# Every dialect defines exactly the same names, in any order (the enums
# follow SQLite's files): a name missing from one, or extra in one, fails
# the build here.
#
# In queries/<dialect>/*.sql a block starts with a line "-- name: <name>"
# (exactly one statement, run through Transaction::Prepare) or
# "-- script: <name>" (several statements, run through RunScript). A name
# block holding more than one statement is an error here: prepared, it would
# silently run only its first.
#
# Run by the build whenever a .sql file changes.
cmake_minimum_required(VERSION 3.25)

set(delim ")__sql__\"")
function(check_delimiter path text)
  string(FIND "${text}" "${delim}" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "${path} contains the literal delimiter ${delim}")
  endif()
endfunction()

# Reads the blocks of one dialect: sets <prefix>_query_names, <prefix>_script_names
# (in file and appearance order) and <prefix>_text_<name>.
# Appends to `out_var` a dialect's kQueries (by QueryId) and kScripts (by
# ScriptId) arrays, from the texts read_dialect() set as <prefix>_text_<name>.
function(append_texts out_var prefix)
  set(out "${${out_var}}")
  string(APPEND out "// By QueryId.\ninline constexpr std::array<std::string_view, ${query_count}> kQueries = {{\n")
  foreach(n IN LISTS sqlite_query_names)
    string(APPEND out "    // ${n}\n    R\"__sql__(${${prefix}_text_${n}})__sql__\",\n")
  endforeach()
  string(APPEND out "}};\n\n// By ScriptId.\ninline constexpr std::array<std::string_view, ${script_count}> kScripts = {{\n")
  foreach(n IN LISTS sqlite_script_names)
    string(APPEND out "    // ${n}\n    R\"__sql__(${${prefix}_text_${n}})__sql__\",\n")
  endforeach()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Writes OUTPUT_DIR/`name`, touching it only when its text changed (so what
# includes it is not rebuilt for nothing).
function(write_generated name text)
  file(WRITE ${OUTPUT_DIR}/${name}.tmp "${text}")
  file(COPY_FILE ${OUTPUT_DIR}/${name}.tmp ${OUTPUT_DIR}/${name} ONLY_IF_DIFFERENT)
  file(REMOVE ${OUTPUT_DIR}/${name}.tmp)
endfunction()

function(read_dialect dir prefix)
  file(GLOB files ${dir}/*.sql)
  list(SORT files)
  set(queries "")
  set(scripts "")
  foreach(f IN LISTS files)
    file(READ ${f} text)
    check_delimiter(${f} "${text}")
    get_filename_component(fname ${f} NAME)
    set(rest "\n${text}")
    string(REGEX MATCH "\n-- (name|script): " found "${rest}")
    string(FIND "${rest}" "${found}" start)
    while(NOT start EQUAL -1 AND NOT found STREQUAL "")
      if(found MATCHES "script")
        set(kind script)
      else()
        set(kind name)
      endif()
      string(LENGTH "${found}" mlen)
      math(EXPR after "${start} + ${mlen}")
      string(SUBSTRING "${rest}" ${after} -1 rest)
      string(FIND "${rest}" "\n" eol)
      if(eol EQUAL -1)
        message(FATAL_ERROR "${fname}: block name without a body")
      endif()
      string(SUBSTRING "${rest}" 0 ${eol} qname)
      string(STRIP "${qname}" qname)
      if(NOT qname MATCHES "^[a-z_][a-z0-9_]*$")
        message(FATAL_ERROR "${fname}: bad block name '${qname}'")
      endif()
      string(SUBSTRING "${rest}" ${eol} -1 rest)
      string(REGEX MATCH "\n-- (name|script): " found "${rest}")
      if(found STREQUAL "")
        set(start -1)
        set(body "${rest}")
      else()
        string(FIND "${rest}" "${found}" start)
        string(SUBSTRING "${rest}" 0 ${start} body)
      endif()
      string(STRIP "${body}" body)
      if(kind STREQUAL "name")
        # One statement: no ';' outside comments but an optional last one.
        string(REGEX REPLACE ";[ \t\r\n]*$" "" single "${body}")
        string(REGEX REPLACE "--[^\n]*" "" code "${single}")
        string(FIND "${code}" ";" inner)
        if(NOT inner EQUAL -1)
          message(FATAL_ERROR "${fname}: query '${qname}' holds more than one statement; "
                              "make it a '-- script:' block or split it")
        endif()
        set(body "${single}")
        list(APPEND queries ${qname})
      else()
        list(APPEND scripts ${qname})
      endif()
      if(DEFINED ${prefix}_text_${qname})
        message(FATAL_ERROR "${fname}: '${qname}' is defined twice")
      endif()
      set(${prefix}_text_${qname} "${body}" PARENT_SCOPE)
      set(${prefix}_text_${qname} "${body}")
    endwhile()
  endforeach()
  set(${prefix}_query_names "${queries}" PARENT_SCOPE)
  set(${prefix}_script_names "${scripts}" PARENT_SCOPE)
endfunction()

read_dialect(${SOURCE_DIR}/queries/sqlite sqlite)
read_dialect(${SOURCE_DIR}/queries/postgres postgres)
foreach(kind query script)
  set(a ${sqlite_${kind}_names})
  set(b ${postgres_${kind}_names})
  list(SORT a)
  list(SORT b)
  if(NOT a STREQUAL b)
    set(only_sqlite ${a})
    list(REMOVE_ITEM only_sqlite ${b})
    set(only_postgres ${b})
    list(REMOVE_ITEM only_postgres ${a})
    message(FATAL_ERROR "queries/sqlite and queries/postgres define different ${kind} names: "
                        "only in sqlite: '${only_sqlite}'; only in postgres: '${only_postgres}'")
  endif()
endforeach()
list(LENGTH sqlite_query_names query_count)
list(LENGTH sqlite_script_names script_count)

# --- catalog/queries.h: the names, shared by every dialect.
set(out "// Generated by cmake/embed_sql.cmake from queries/*/*.sql. Do not edit.\n#pragma once\n\n")
string(APPEND out "namespace contentstore::catalog {\n\n")
string(APPEND out "// One per \"-- name:\" block: a single statement.\nenum class QueryId {\n")
foreach(n IN LISTS sqlite_query_names)
  string(APPEND out "  ${n},\n")
endforeach()
string(APPEND out "};\ninline constexpr int kQueryCount = ${query_count};\n\n")
string(APPEND out "// One per \"-- script:\" block: statements run in order.\nenum class ScriptId {\n")
foreach(n IN LISTS sqlite_script_names)
  string(APPEND out "  ${n},\n")
endforeach()
string(APPEND out "};\ninline constexpr int kScriptCount = ${script_count};\n\n")
string(APPEND out "}  // namespace contentstore::catalog\n")
file(MAKE_DIRECTORY ${OUTPUT_DIR}/catalog)
write_generated(catalog/queries.h "${out}")

# --- catalog/sqlite_sql.h: SQLite's text for every name, and its migrations.
set(out "// Generated by cmake/embed_sql.cmake from queries/sqlite/ and migrations/.\n")
string(APPEND out "// Do not edit: edit the .sql files.\n#pragma once\n\n#include <array>\n#include <string_view>\n\n")
string(APPEND out "namespace contentstore::catalog::sqlite {\n\n")
string(APPEND out "struct Migration {\n  int version;  // NNNN of migrations/NNNN_name.sql\n  std::string_view name;\n  std::string_view text;\n};\n\n")

file(GLOB migration_files ${SOURCE_DIR}/migrations/*.sql)
list(SORT migration_files)
set(entries "")
set(count 0)
foreach(f IN LISTS migration_files)
  get_filename_component(name ${f} NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_([A-Za-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file name ${name} is not NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(title "${CMAKE_MATCH_2}")
  math(EXPR count "${count} + 1")
  if(NOT version EQUAL count)
    message(FATAL_ERROR "migration ${name}: expected number ${count}")
  endif()
  file(READ ${f} text)
  check_delimiter(${f} "${text}")
  string(APPEND entries "    {${version}, \"${title}\", R\"__sql__(${text})__sql__\"},\n")
endforeach()
string(APPEND out "// migrations/ in order: a fresh catalog runs them all; the last version is\n// the schema version.\n")
string(APPEND out "inline constexpr std::array<Migration, ${count}> kMigrations = {{\n${entries}}};\n\n")

append_texts(out sqlite)
string(APPEND out "}};\n\n}  // namespace contentstore::catalog::sqlite\n")
write_generated(catalog/sqlite_sql.h "${out}")

# --- catalog/postgres_sql.h: PostgreSQL's text for every name (in QueryId
# order), its migrations and its session setup.
set(out "// Generated by cmake/embed_sql.cmake from queries/postgres/ and migrations/postgres/.\n")
string(APPEND out "// Do not edit: edit the .sql files.\n#pragma once\n\n#include <array>\n#include <string_view>\n\n")
string(APPEND out "namespace contentstore::catalog::postgres {\n\n")
string(APPEND out "struct Migration {\n  int version;  // NNNN of migrations/postgres/NNNN_name.sql\n  std::string_view name;\n  std::string_view text;\n};\n\n")
# The first file may start past 1 (a catalog created directly at that
# version); the rest follow it one by one.
file(GLOB migration_files ${SOURCE_DIR}/migrations/postgres/[0-9]*.sql)
list(SORT migration_files)
set(entries "")
set(count 0)
set(expected "")
foreach(f IN LISTS migration_files)
  get_filename_component(name ${f} NAME)
  if(NOT name MATCHES "^([0-9][0-9][0-9][0-9])_([A-Za-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file name postgres/${name} is not NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(title "${CMAKE_MATCH_2}")
  if(NOT expected STREQUAL "" AND NOT version EQUAL expected)
    message(FATAL_ERROR "migration postgres/${name}: expected number ${expected}")
  endif()
  math(EXPR expected "${version} + 1")
  math(EXPR count "${count} + 1")
  file(READ ${f} text)
  check_delimiter(${f} "${text}")
  string(APPEND entries "    {${version}, \"${title}\", R\"__sql__(${text})__sql__\"},\n")
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "migrations/postgres/ has no NNNN_name.sql")
endif()
string(APPEND out "// migrations/postgres/ in order; the last version is the schema version.\n")
string(APPEND out "inline constexpr std::array<Migration, ${count}> kMigrations = {{\n${entries}}};\n\n")
file(READ ${SOURCE_DIR}/migrations/postgres/session.sql session_text)
check_delimiter(session.sql "${session_text}")
string(APPEND out "// Run on every new connection (temporary tables, settings).\n")
string(APPEND out "inline constexpr std::string_view kSessionSetup = R\"__sql__(${session_text})__sql__\";\n\n")
append_texts(out postgres)
string(APPEND out "}};\n\n}  // namespace contentstore::catalog::postgres\n")
write_generated(catalog/postgres_sql.h "${out}")
