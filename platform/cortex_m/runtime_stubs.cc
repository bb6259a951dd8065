// The few C++ runtime entry points a freestanding image must supply itself.
//
// The image links with --specs=nano.specs but WITHOUT nosys.specs or any
// syscall stubs, so that an OS call left in the core (malloc -> _sbrk,
// printf -> _write, abort -> _kill, ...) is an undefined symbol and fails the
// link. The two functions below would otherwise be taken from libstdc++,
// whose versions end in std::terminate() -> abort() -> _kill/_getpid and
// would fail the link for a reason that is not the core's fault.
//
// operator new is deliberately NOT defined here: libstdc++'s version calls
// malloc, which needs _sbrk, so any allocation in the core still fails the
// link.

#include <cstddef>

// Called through the vtable slot of a pure virtual function, i.e. a virtual
// call during construction or destruction of an abstract interface
// (Platform, CacheOps, ...): a bug of ours, so stop.
extern "C" void __cxa_pure_virtual() { __builtin_trap(); }

// A class with a virtual destructor gets a "deleting destructor" in its
// vtable that calls operator delete, even if nothing is ever deleted. The
// core never deletes (nothing is ever new-ed), so reaching this is a bug.
void operator delete(void*) noexcept { __builtin_trap(); }
void operator delete(void*, std::size_t) noexcept { __builtin_trap(); }
