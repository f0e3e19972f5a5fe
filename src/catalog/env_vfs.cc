#include "catalog/env_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>

#include <fmt/format.h>

namespace contentstore::catalog {
namespace {

// The unix epoch in SQLite's time unit: milliseconds since the julian epoch.
constexpr sqlite3_int64 kUnixEpochJulianMillis = 210866760000000;

struct Shim {
  Env* env;
  sqlite3_vfs* real;
};

// An open file: ours first, the real VFS's file right behind it.
struct EnvFile {
  sqlite3_file base;
  Env* env;
  const char* path;
  sqlite3_file* real;
};

EnvFile* Cast(sqlite3_file* f) { return reinterpret_cast<EnvFile*>(f); }
const sqlite3_io_methods* Real(sqlite3_file* f) { return Cast(f)->real->pMethods; }

// Asks the Env; a refusal becomes the I/O error `code`.
int Announce(sqlite3_file* f, std::string_view op, int code) {
  EnvFile* file = Cast(f);
  Status s = file->env->BeforeCatalogIo(op, file->path != nullptr ? file->path : "");
  return s.ok() ? SQLITE_OK : code;
}

int Close(sqlite3_file* f) {
  const int rc = Real(f)->xClose(Cast(f)->real);
  f->pMethods = nullptr;
  return rc;
}
int Read(sqlite3_file* f, void* buf, int amount, sqlite3_int64 offset) {
  if (int rc = Announce(f, "read", SQLITE_IOERR_READ); rc != SQLITE_OK) return rc;
  return Real(f)->xRead(Cast(f)->real, buf, amount, offset);
}
int Write(sqlite3_file* f, const void* buf, int amount, sqlite3_int64 offset) {
  if (int rc = Announce(f, "write", SQLITE_IOERR_WRITE); rc != SQLITE_OK) return rc;
  return Real(f)->xWrite(Cast(f)->real, buf, amount, offset);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = Announce(f, "truncate", SQLITE_IOERR_TRUNCATE); rc != SQLITE_OK) return rc;
  return Real(f)->xTruncate(Cast(f)->real, size);
}
int Sync(sqlite3_file* f, int flags) {
  if (int rc = Announce(f, "sync", SQLITE_IOERR_FSYNC); rc != SQLITE_OK) return rc;
  return Real(f)->xSync(Cast(f)->real, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->xFileSize(Cast(f)->real, size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->xLock(Cast(f)->real, level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->xUnlock(Cast(f)->real, level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->xCheckReservedLock(Cast(f)->real, out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->xFileControl(Cast(f)->real, op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->xSectorSize(Cast(f)->real); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->xDeviceCharacteristics(Cast(f)->real);
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  if (Real(f)->iVersion < 2) return SQLITE_IOERR_SHMMAP;
  return Real(f)->xShmMap(Cast(f)->real, region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  if (Real(f)->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
  return Real(f)->xShmLock(Cast(f)->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  if (Real(f)->iVersion >= 2) Real(f)->xShmBarrier(Cast(f)->real);
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  if (Real(f)->iVersion < 2) return SQLITE_OK;
  return Real(f)->xShmUnmap(Cast(f)->real, delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;
  if (Real(f)->iVersion < 3) return SQLITE_OK;  // no memory map: SQLite reads instead
  return Real(f)->xFetch(Cast(f)->real, offset, amount, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  if (Real(f)->iVersion < 3) return SQLITE_OK;
  return Real(f)->xUnfetch(Cast(f)->real, offset, p);
}

const sqlite3_io_methods kMethods = {
    3,           Close,     Read,       Write,    Truncate,   Sync,
    FileSize,    Lock,      Unlock,     CheckReservedLock,    FileControl,
    SectorSize,  DeviceCharacteristics, ShmMap,   ShmLock,    ShmBarrier,
    ShmUnmap,    Fetch,     Unfetch,
};

Shim* ShimOf(sqlite3_vfs* vfs) { return static_cast<Shim*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  Shim* shim = ShimOf(vfs);
  EnvFile* file = Cast(f);
  file->env = shim->env;
  file->path = name;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  f->pMethods = nullptr;
  const int rc = shim->real->xOpen(shim->real, name, file->real, flags, out_flags);
  if (rc == SQLITE_OK && file->real->pMethods != nullptr) f->pMethods = &kMethods;
  return rc;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xDelete(real, name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xAccess(real, name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xFullPathname(real, name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xDlOpen(real, name);
}
void DlError(sqlite3_vfs* vfs, int n, char* out) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  real->xDlError(real, n, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xDlSym(real, handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  real->xDlClose(real, handle);
}
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xRandomness(real, n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xSleep(real, micros);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* now) {
  *now = kUnixEpochJulianMillis + ShimOf(vfs)->env->NowNanos() / 1000000;
  return SQLITE_OK;
}
int CurrentTime(sqlite3_vfs* vfs, double* now) {
  sqlite3_int64 millis = 0;
  CurrentTimeInt64(vfs, &millis);
  *now = static_cast<double>(millis) / 86400000.0;
  return SQLITE_OK;
}
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  sqlite3_vfs* real = ShimOf(vfs)->real;
  return real->xGetLastError(real, n, out);
}

std::mutex g_mu;
std::map<Env*, std::weak_ptr<EnvVfs>> g_registered;
std::atomic<int> g_serial{0};

}  // namespace

Result<std::shared_ptr<EnvVfs>> EnvVfs::For(Env* env) {
  std::lock_guard lock(g_mu);
  if (auto it = g_registered.find(env); it != g_registered.end()) {
    if (auto existing = it->second.lock()) return existing;
  }
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) return Status::Internal("SQLite has no default VFS");
  std::shared_ptr<EnvVfs> vfs(new EnvVfs());
  vfs->env_ = env;
  vfs->name_ = fmt::format("contentstore-env-{}", g_serial.fetch_add(1));
  auto* shim = new Shim{env, real};
  vfs->vfs_ = std::make_unique<sqlite3_vfs>();
  sqlite3_vfs& v = *vfs->vfs_;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(EnvFile)) + real->szOsFile;
  v.mxPathname = real->mxPathname;
  v.pNext = nullptr;
  v.zName = vfs->name_.c_str();
  v.pAppData = shim;
  v.xOpen = Open;
  v.xDelete = Delete;
  v.xAccess = Access;
  v.xFullPathname = FullPathname;
  v.xDlOpen = DlOpen;
  v.xDlError = DlError;
  v.xDlSym = DlSym;
  v.xDlClose = DlClose;
  v.xRandomness = Randomness;
  v.xSleep = Sleep;
  v.xCurrentTime = CurrentTime;
  v.xGetLastError = GetLastError;
  v.xCurrentTimeInt64 = CurrentTimeInt64;
  if (int rc = sqlite3_vfs_register(&v, 0); rc != SQLITE_OK) {
    delete shim;
    return Status::Internal(fmt::format("cannot register SQLite VFS: {}", sqlite3_errstr(rc)));
  }
  g_registered[env] = vfs;
  return vfs;
}

EnvVfs::~EnvVfs() {
  if (!vfs_) return;
  std::lock_guard lock(g_mu);
  sqlite3_vfs_unregister(vfs_.get());
  delete static_cast<Shim*>(vfs_->pAppData);
  if (auto it = g_registered.find(env_); it != g_registered.end() && it->second.expired()) {
    g_registered.erase(it);
  }
}

}  // namespace contentstore::catalog
