# Whether the tests that need real servers are registered, decided once for
# every test directory (tests/s3 defines the fixtures that start the servers;
# tests/, tests/postgres and tests/multinode use them):
#   CONTENTSTORE_SERVER_TESTS=AUTO (default): a server's tests when that
#     server is installed, so `tools/test` on a machine set up without
#     --servers stays green;
#   ON: both servers are required (CI), and a missing one fails the configure;
#   OFF: none.
# Sets s3_server_tests (Ceph RGW) and postgres_server_tests (PostgreSQL 15).

set(have_ceph ON)
foreach(tool radosgw ceph-mon ceph-osd)
  find_program(found_${tool} ${tool} PATHS /usr/bin /usr/sbin NO_CACHE)
  if(NOT found_${tool})
    set(have_ceph OFF)
  endif()
endforeach()
set(have_postgres OFF)
if(EXISTS /usr/lib/postgresql/15/bin/postgres)
  set(have_postgres ON)
endif()
set(s3_server_tests OFF)
set(postgres_server_tests OFF)
if(CONTENTSTORE_SERVER_TESTS STREQUAL "AUTO")
  set(s3_server_tests ${have_ceph})
  set(postgres_server_tests ${have_postgres})
  if(NOT have_ceph OR NOT have_postgres)
    message(STATUS "Server tests: s3 ${have_ceph}, postgres ${have_postgres} (what is installed; "
                   "tools/install-deps --servers installs Ceph RGW and PostgreSQL 15)")
  endif()
elseif(CONTENTSTORE_SERVER_TESTS)
  if(NOT have_ceph OR NOT have_postgres)
    message(FATAL_ERROR "CONTENTSTORE_SERVER_TESTS=ON, but Ceph RGW (radosgw, ceph-mon, ceph-osd: "
                        "${have_ceph}) or PostgreSQL 15 (${have_postgres}) is not installed: run "
                        "tools/install-deps --servers, or configure with "
                        "-DCONTENTSTORE_SERVER_TESTS=AUTO")
  endif()
  set(s3_server_tests ON)
  set(postgres_server_tests ON)
endif()
