#pragma once
// Clang thread-safety analysis attributes
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), so the compiler
// checks which lock guards which state. Empty with other compilers: GCC
// builds the same code, the clang stage (the `tsan` preset, built with
// -Wthread-safety -Werror) checks it. docs/threading.md lists what is
// annotated.
//
//   TANDEM_CAPABILITY("mutex")       a class that is a lock
//   TANDEM_SCOPED_CAPABILITY         an RAII guard of one
//   TANDEM_GUARDED_BY(m)             a member read/written only with m held
//   TANDEM_PT_GUARDED_BY(m)          what a pointer member points to, ditto
//   TANDEM_REQUIRES(m...)            a function called with m held
//   TANDEM_ACQUIRE(m...) / TANDEM_RELEASE(m...)
//   TANDEM_TRY_ACQUIRE(ok, m...)     returns `ok` when it took m
//   TANDEM_EXCLUDES(m...)            a function called without m (it takes it)
//   TANDEM_ACQUIRED_BEFORE(m...)     lock order (checked with -Wthread-safety-beta)
//   TANDEM_NO_THREAD_SAFETY_ANALYSIS a function the analysis cannot follow;
//                                    say why at the use

#if defined(__clang__)
#define TANDEM_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TANDEM_THREAD_ANNOTATION(x)
#endif

#define TANDEM_CAPABILITY(name) TANDEM_THREAD_ANNOTATION(capability(name))
#define TANDEM_SCOPED_CAPABILITY TANDEM_THREAD_ANNOTATION(scoped_lockable)
#define TANDEM_GUARDED_BY(x) TANDEM_THREAD_ANNOTATION(guarded_by(x))
#define TANDEM_PT_GUARDED_BY(x) TANDEM_THREAD_ANNOTATION(pt_guarded_by(x))
#define TANDEM_REQUIRES(...) TANDEM_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define TANDEM_REQUIRES_SHARED(...) \
  TANDEM_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define TANDEM_ACQUIRE(...) TANDEM_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define TANDEM_ACQUIRE_SHARED(...) TANDEM_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define TANDEM_RELEASE(...) TANDEM_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TANDEM_RELEASE_SHARED(...) TANDEM_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define TANDEM_RELEASE_GENERIC(...) \
  TANDEM_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define TANDEM_TRY_ACQUIRE(...) TANDEM_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define TANDEM_EXCLUDES(...) TANDEM_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define TANDEM_ACQUIRED_BEFORE(...) TANDEM_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define TANDEM_ACQUIRED_AFTER(...) TANDEM_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define TANDEM_RETURN_CAPABILITY(x) TANDEM_THREAD_ANNOTATION(lock_returned(x))
#define TANDEM_NO_THREAD_SAFETY_ANALYSIS TANDEM_THREAD_ANNOTATION(no_thread_safety_analysis)
