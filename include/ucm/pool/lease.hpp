#pragma once

#include <ucm/export.hpp>
#include <ucm/pool/pooled_resource.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>

namespace ucm::pool {

/// Where a Lease hands its resource back: implemented by the pool drivers, not by users.
///
/// Thread safety: safe to share (implementations lock internally).
class UCM_EXPORT LeaseOwner {
  public:
    LeaseOwner() = default;
    LeaseOwner(const LeaseOwner&) = delete;
    LeaseOwner& operator=(const LeaseOwner&) = delete;

    /// Takes the slot back: resets the resource (unless `broken`) and pools or closes it. Safe
    /// after the pool object itself was destroyed: the owner lives until its last lease is back.
    virtual void release_slot(std::uint32_t slot, PooledResource& resource, bool broken) noexcept = 0;

  protected:
    virtual ~LeaseOwner() = default;
};

/// One pooled connection on loan (RAII): returned to its pool when the Lease is destroyed or
/// `release()`d. A lease marked broken (`mark_broken()`, `release_broken()`) is closed instead of
/// pooled: do that whenever an error poisons the connection (`Error::poisons_connection()`).
///
/// Errors: none; releasing never throws.
/// Thread safety: not thread-safe; move it, do not share it.
/// Lifetime: may outlive the pool it came from; its release then just closes the connection.
///
/// @code
///   ucm::pool::Lease lease = pool.acquire();
///   auto& conn = lease.as<MyConnection>();
///   try { conn.run(...); } catch (const ucm::Error& e) { if (e.poisons_connection()) lease.mark_broken();
///   throw; }
/// @endcode
class UCM_EXPORT Lease {
  public:
    /// An empty lease, holding nothing.
    Lease() noexcept = default;
    /// For pool drivers: `resource` in `slot` of `owner` is now on loan.
    Lease(LeaseOwner& owner, PooledResource& resource, std::uint32_t slot) noexcept
        : owner_(&owner), resource_(&resource), slot_(slot) {}

    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          resource_(std::exchange(other.resource_, nullptr)),
          slot_(other.slot_),
          broken_(std::exchange(other.broken_, false)) {}
    Lease& operator=(Lease&& other) noexcept {
        if (this != &other) {
            release();
            owner_ = std::exchange(other.owner_, nullptr);
            resource_ = std::exchange(other.resource_, nullptr);
            slot_ = other.slot_;
            broken_ = std::exchange(other.broken_, false);
        }
        return *this;
    }
    ~Lease() { release(); }

    /// True while the lease holds a connection.
    explicit operator bool() const noexcept { return resource_ != nullptr; }

    /// The connection. Precondition: the lease holds one.
    [[nodiscard]] PooledResource& resource() const noexcept { return *resource_; }
    PooledResource* operator->() const noexcept { return resource_; }

    /// The connection as the concrete type the pool's factory creates (a static cast: `T` must be
    /// exactly that type or one of its bases).
    template <class T>
    [[nodiscard]] T& as() const noexcept {
        static_assert(std::is_base_of_v<PooledResource, T>);
        return static_cast<T&>(*resource_);
    }

    /// The pool's slot index of this connection (stable for the connection's life; for logs).
    [[nodiscard]] std::uint32_t slot() const noexcept { return slot_; }

    /// The connection must not be pooled again: it is closed on release.
    void mark_broken() noexcept { broken_ = true; }
    [[nodiscard]] bool broken() const noexcept { return broken_; }

    /// Returns the connection now (reset, then pooled or closed); the lease becomes empty.
    void release() noexcept {
        if (resource_ != nullptr) {
            LeaseOwner* owner = std::exchange(owner_, nullptr);
            PooledResource* resource = std::exchange(resource_, nullptr);
            owner->release_slot(slot_, *resource, std::exchange(broken_, false));
        }
    }

    /// Closes the connection instead of pooling it; the lease becomes empty.
    void release_broken() noexcept {
        mark_broken();
        release();
    }

  private:
    LeaseOwner* owner_ = nullptr;
    PooledResource* resource_ = nullptr;
    std::uint32_t slot_ = 0;
    bool broken_ = false;
};

}  // namespace ucm::pool
