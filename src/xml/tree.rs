//! The parser's map from names to [`Binding`]s: an AVL tree in one `Vec`,
//! with insertion, lookup and clearing only (the namespace scope marks a
//! closed prefix `None` instead of removing it). O(log n) per operation like
//! the standard `BTreeMap` it replaces, in about a quarter of its wasm (the
//! B-tree's insertion, search and drop code took 4.5 KB).

use super::parse::Binding;
use std::cmp::Ordering;

/// No node.
const NIL: u32 = u32::MAX;

struct Node {
    key: String,
    value: Option<Binding>,
    /// Left and right subtrees.
    kids: [u32; 2],
    height: u8,
}

/// A map from strings to `Option<Binding>`.
#[derive(Default)]
pub(super) struct Map {
    nodes: Vec<Node>,
    root: Option<u32>,
}

impl Map {
    /// The value of `key`, if it has one.
    pub(super) fn get(&self, key: &str) -> Option<Option<Binding>> {
        let mut at = self.root?;
        loop {
            let node = self.nodes.get(at as usize)?;
            at = match key.cmp(&node.key) {
                Ordering::Equal => return Some(node.value),
                Ordering::Less => node.kids[0],
                Ordering::Greater => node.kids[1],
            };
        }
    }

    /// Sets the value of `key`; gives the one it replaces.
    pub(super) fn insert(&mut self, key: &str, value: Option<Binding>) -> Option<Option<Binding>> {
        let mut old = None;
        let root = self.insert_at(self.root.unwrap_or(NIL), key, value, &mut old);
        self.root = Some(root);
        old
    }

    /// Empties the map (keeping its memory).
    pub(super) fn clear(&mut self) {
        self.nodes.clear();
        self.root = None;
    }

    /// Inserts into the subtree at `at`; gives the subtree's new root. The
    /// recursion is as deep as the tree: below 1.45 log2(n) + 2.
    fn insert_at(
        &mut self,
        at: u32,
        key: &str,
        value: Option<Binding>,
        old: &mut Option<Option<Binding>>,
    ) -> u32 {
        let Some(node) = self.nodes.get_mut(at as usize) else {
            self.nodes.push(Node {
                key: key.to_owned(),
                value,
                kids: [NIL; 2],
                height: 1,
            });
            return u32::try_from(self.nodes.len() - 1).unwrap_or(NIL);
        };
        let side = match key.cmp(&node.key) {
            Ordering::Equal => {
                *old = Some(std::mem::replace(&mut node.value, value));
                return at;
            }
            Ordering::Less => 0,
            Ordering::Greater => 1,
        };
        let kid = node.kids[side];
        let kid = self.insert_at(kid, key, value, old);
        self.set_kid(at, side, kid);
        self.rebalance(at)
    }

    fn kids(&self, at: u32) -> [u32; 2] {
        self.nodes.get(at as usize).map_or([NIL; 2], |n| n.kids)
    }

    fn height(&self, at: u32) -> u8 {
        self.nodes.get(at as usize).map_or(0, |n| n.height)
    }

    fn set_kid(&mut self, at: u32, side: usize, kid: u32) {
        if let Some(k) = self
            .nodes
            .get_mut(at as usize)
            .and_then(|n| n.kids.get_mut(side))
        {
            *k = kid;
        }
    }

    fn update(&mut self, at: u32) {
        let [l, r] = self.kids(at);
        let h = self.height(l).max(self.height(r)).saturating_add(1);
        if let Some(n) = self.nodes.get_mut(at as usize) {
            n.height = h;
        }
    }

    /// Lifts the `side` child of `at` above it; gives the subtree's new root.
    fn rotate(&mut self, at: u32, side: usize) -> u32 {
        let up = self.kids(at)[side];
        let inner = self.kids(up)[1 - side];
        self.set_kid(at, side, inner);
        self.update(at);
        self.set_kid(up, 1 - side, at);
        self.update(up);
        up
    }

    /// Restores the AVL balance at `at` after an insertion below it.
    fn rebalance(&mut self, at: u32) -> u32 {
        self.update(at);
        let kids = self.kids(at);
        for side in 0..2 {
            let heavy = kids[side];
            if self.height(heavy) > self.height(kids[1 - side]).saturating_add(1) {
                let [near, far] = {
                    let k = self.kids(heavy);
                    [k[side], k[1 - side]]
                };
                if self.height(far) > self.height(near) {
                    let lifted = self.rotate(heavy, 1 - side);
                    self.set_kid(at, side, lifted);
                }
                return self.rotate(at, side);
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn b(n: usize) -> Option<Binding> {
        Some(Binding { depth: n, attr: n })
    }

    /// The tree's height, checking the AVL invariant and the key order.
    fn check(m: &Map, at: u32, lo: Option<&str>, hi: Option<&str>) -> u8 {
        let Some(n) = m.nodes.get(at as usize) else {
            return 0;
        };
        assert!(lo.map_or(true, |lo| lo < n.key.as_str()));
        assert!(hi.map_or(true, |hi| n.key.as_str() < hi));
        let l = check(m, n.kids[0], lo, Some(&n.key));
        let r = check(m, n.kids[1], Some(&n.key), hi);
        assert!(l.abs_diff(r) <= 1, "unbalanced at {:?}", n.key);
        assert_eq!(n.height, l.max(r) + 1);
        n.height
    }

    /// Random inserts (new keys and replacements), lookups and clears give
    /// what the standard BTreeMap gives, and the tree stays balanced.
    #[test]
    fn same_as_btreemap() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut m = Map::default();
        let mut want = BTreeMap::new();
        for round in 0..20_000 {
            let key = format!("p{}", next(3000));
            match next(10) {
                0..=5 => {
                    let v = if next(4) == 0 { None } else { b(round) };
                    assert_eq!(m.insert(&key, v), want.insert(key.clone(), v));
                }
                6..=8 => assert_eq!(m.get(&key), want.get(&key).copied()),
                _ if next(200) == 0 => {
                    m.clear();
                    want.clear();
                }
                _ => {}
            }
        }
        assert_eq!(m.nodes.len(), want.len());
        let h = check(&m, m.root.unwrap_or(NIL), None, None);
        let n = want.len() as f64;
        assert!(
            f64::from(h) <= 1.45 * (n + 2.0).log2(),
            "height {h} for {n} keys"
        );
    }

    /// Keys inserted in order (the worst case of an unbalanced tree) stay
    /// logarithmically deep.
    #[test]
    fn sorted_inserts_stay_shallow() {
        let mut m = Map::default();
        for i in 0..100_000 {
            m.insert(&format!("{i:06}"), b(i));
        }
        let h = check(&m, m.root.unwrap_or(NIL), None, None);
        assert!(h <= 25, "height {h}");
        assert_eq!(m.get("054321"), Some(b(54321)));
        assert_eq!(m.get("x"), None);
    }
}
