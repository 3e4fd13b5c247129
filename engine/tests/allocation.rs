//! Matching allocates nothing once its scratch is warm: checked with a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use evmatch::{Matcher, Scratch, Validation};

struct Counting;

thread_local! {
    /// Allocations made by this thread: the test harness's own threads allocate concurrently.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may already be gone while the thread exits.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RULES: &[(&str, &str)] = &[
    (
        "exact",
        r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#,
    ),
    ("prefix", r#"{"detail": {"state": [{"prefix": "run"}]}}"#),
    (
        "suffix",
        r#"{"detail": {"state": [{"suffix": {"equals-ignore-case": "ING"}}]}}"#,
    ),
    (
        "ignore-case",
        r#"{"source": [{"equals-ignore-case": "AWS.EC2"}]}"#,
    ),
    (
        "wildcard",
        r#"{"detail": {"instance-id": [{"wildcard": "i-*f"}]}}"#,
    ),
    (
        "anything-but",
        r#"{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": ["stopped"]}]}}"#,
    ),
    (
        "numeric",
        r#"{"detail": {"size": [{"numeric": [">", 10, "<=", 1000]}]}}"#,
    ),
    ("cidr", r#"{"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}"#),
    ("absent", r#"{"detail": {"error": [{"exists": false}]}}"#),
    (
        "array-consistent",
        r#"{"items": {"name": ["a"], "count": [{"numeric": [">", 1]}]}}"#,
    ),
    (
        "or",
        r#"{"$or": [{"source": ["aws.s3"]}, {"detail": {"size": [0]}}]}"#,
    ),
];

const EVENTS: &[&str] = &[
    r#"{"source": "aws.ec2", "detail": {"state": "running", "instance-id": "i-0abf", "size": 20, "ip": "10.1.2.3"}}"#,
    r#"{"source": "AWS.EC2", "detail": {"state": "stopped", "error": "x", "size": 0, "ip": "::1"}}"#,
    r#"{"source": "aws.s3", "items": [{"name": "a", "count": 1}, {"name": "b", "count": 5}], "detail": {"state": "Pending\u0020ING"}}"#,
    r#"{"source": "aws.s3", "items": [{"name": "a", "count": 3}], "other": {"deep": [[[1, 2, {"x": "y"}]]]}}"#,
    r#"{"source": "ÀWS.ÉC2 straße", "detail": {"state": "RUNNİNG", "instance-id": "i-ÿf", "size": 1e400, "ip": "2001:db8::1"}}"#,
];

#[test]
fn matching_allocates_nothing_once_warm() {
    for validation in [Validation::Full, Validation::Structural] {
        let mut matcher = Matcher::builder().validation(validation).build();
        for (name, pattern) in RULES {
            matcher.add_rule(name, pattern).unwrap();
        }
        let mut scratch = Scratch::new();
        let mut names = Vec::new();
        let mut expected = Vec::new();
        // Warm up: the scratch and the result vector grow to fit.
        for event in EVENTS {
            matcher
                .matches_with(event.as_bytes(), &mut scratch, &mut names)
                .unwrap();
            expected.push(names.len());
        }
        assert!(
            expected.iter().sum::<usize>() > EVENTS.len(),
            "{expected:?}"
        );

        let before = allocations();
        for _ in 0..100 {
            for (event, &count) in EVENTS.iter().zip(&expected) {
                matcher
                    .matches_with(event.as_bytes(), &mut scratch, &mut names)
                    .unwrap();
                assert_eq!(names.len(), count);
            }
        }
        let allocations = allocations() - before;
        assert_eq!(
            allocations,
            0,
            "{validation:?}: {allocations} allocations in {} matches",
            100 * EVENTS.len()
        );
    }
}
