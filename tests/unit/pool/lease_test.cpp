// The RAII lease on its own, against a recording owner.
#include "support/fake_resource.hpp"

#include <ucm/pool/lease.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace ucm::pool {
namespace {

class RecordingOwner final : public LeaseOwner {
  public:
    struct Return {
        std::uint32_t slot;
        bool broken;
    };
    void release_slot(std::uint32_t slot, PooledResource& /*resource*/, bool broken) noexcept override {
        returns.push_back({slot, broken});
    }
    std::vector<Return> returns;
};

struct LeaseTest : ::testing::Test {
    test::FakeResourceFactory fakes;
    std::unique_ptr<PooledResource> resource = fakes.factory()(Deadline{});
    RecordingOwner owner;
};

TEST_F(LeaseTest, DestructionReturnsTheSlotOnce) {
    { Lease lease(owner, *resource, 7); }
    ASSERT_EQ(owner.returns.size(), 1U);
    EXPECT_EQ(owner.returns[0].slot, 7U);
    EXPECT_FALSE(owner.returns[0].broken);
}

TEST_F(LeaseTest, MovedFromLeaseReturnsNothing) {
    Lease a(owner, *resource, 1);
    Lease b = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state is the point
    EXPECT_TRUE(b);
    b.release();
    a.release();
    EXPECT_EQ(owner.returns.size(), 1U);
}

TEST_F(LeaseTest, MoveAssignmentReturnsTheOldConnectionFirst) {
    auto other = fakes.factory()(Deadline{});
    Lease a(owner, *resource, 1);
    Lease b(owner, *other, 2);
    a = std::move(b);
    ASSERT_EQ(owner.returns.size(), 1U);
    EXPECT_EQ(owner.returns[0].slot, 1U);
    EXPECT_EQ(&a.resource(), other.get());
}

TEST_F(LeaseTest, ReleaseBrokenAsksTheOwnerToClose) {
    Lease lease(owner, *resource, 3);
    lease.release_broken();
    ASSERT_EQ(owner.returns.size(), 1U);
    EXPECT_TRUE(owner.returns[0].broken);
    EXPECT_FALSE(lease);
}

TEST_F(LeaseTest, MarkBrokenTakesEffectAtDestruction) {
    {
        Lease lease(owner, *resource, 3);
        lease.mark_broken();
        EXPECT_TRUE(lease.broken());
    }
    EXPECT_TRUE(owner.returns.at(0).broken);
}

TEST_F(LeaseTest, EmptyLeaseIsSafeToReleaseAndDestroy) {
    Lease lease;
    EXPECT_FALSE(lease);
    lease.release();
    lease.release_broken();
    EXPECT_TRUE(owner.returns.empty());
}

}  // namespace
}  // namespace ucm::pool
