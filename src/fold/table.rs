//! The table of legs every fold keeps: the live [`Tracker`](crate::Tracker), a history's legs, and the
//! legs-only replay. Legs lie side by side in one list; an index finds a leg by id, and a parent index
//! finds the legs that named a `parentCallId`.

use std::hash::BuildHasher;

use super::fact::reserve_one;
use super::id_table::{IdMap, IdTable, Keyed};
use super::leg::{Applied, Leg};
use super::state::State;
use crate::decode::{CallId, View};

/// How the index holds a leg's place in the list: in a `usize`, or in four bytes for a fold that sets
/// its legs aside when it holds the most that fit (the legs-only replay).
pub(crate) trait Place: Copy {
    /// The most legs a table with these places holds: past it, new legs are refused.
    const MOST: usize;
    /// The place `place`, which is below `MOST`.
    fn new(place: usize) -> Self;
    fn get(self) -> usize;
}

impl Place for usize {
    const MOST: usize = usize::MAX;
    fn new(place: usize) -> usize {
        place
    }
    fn get(self) -> usize {
        self
    }
}

impl Place for u32 {
    const MOST: usize = u32::MAX as usize;
    fn new(place: usize) -> u32 {
        // Below `MOST`, so it fits.
        place as u32
    }
    fn get(self) -> usize {
        self as usize
    }
}

/// A place stands for the id of the leg it points at.
impl<P: Place> Keyed<[Leg]> for P {
    fn id<'a>(&'a self, legs: &'a [Leg]) -> &'a [u8] {
        legs.get(self.get())
            .map_or(&[], |leg| leg.call_id().as_bytes())
    }
}

/// What folding one leg callback did to the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Folded {
    /// Where the leg is.
    pub(crate) place: usize,
    /// Its state before; `None` when the callback made the leg.
    pub(crate) previous: Option<State>,
    pub(crate) applied: Applied,
}

/// Legs, found by id and by parent. `S` keys the hashes; `P` is how the index holds a place.
#[derive(Debug, Clone)]
pub(crate) struct LegTable<S, P> {
    /// Every leg held. Kept in step with both indexes: every place they hold is in here.
    legs: Vec<Leg>,
    /// Where each leg is in `legs`, found by its `callId`: the id is held once, in the leg.
    index: IdTable<P, S>,
    /// The legs that named each `parentCallId`, as places in `legs`; kept only when `parent_index` is.
    children: IdMap<Vec<usize>, S>,
    parent_index: bool,
}

impl<S: BuildHasher + Default, P: Place> Default for LegTable<S, P> {
    fn default() -> Self {
        LegTable {
            legs: Vec::new(),
            index: IdTable::default(),
            children: IdMap::default(),
            parent_index: true,
        }
    }
}

impl<S: BuildHasher + Default, P: Place> LegTable<S, P> {
    /// A table that keeps no parent index: for folds that only want the legs.
    /// [`children_of`](LegTable::children_of) finds no leg in it.
    pub(crate) fn without_parent_index() -> LegTable<S, P> {
        LegTable {
            parent_index: false,
            ..LegTable::default()
        }
    }

    /// The place in `legs` of the leg with this id.
    pub(crate) fn place(&self, call_id: &str) -> Option<usize> {
        let id = call_id.as_bytes();
        self.index
            .find(self.index.hash(id), id, self.legs.as_slice())
            .map(|place| place.get())
    }

    /// Folds a leg callback (the caller checked that it is one) into its leg, made if new, as delivery
    /// `delivery` (see [`Leg::merge`]), and keeps the indexes. `None` when the leg is new and the table
    /// holds the most legs its places can.
    pub(crate) fn apply(&mut self, v: &View<'_>, delivery: Option<u64>) -> Option<Folded> {
        // One lookup for a known leg, and one hash for a new one.
        let id = v.call_id.as_bytes();
        let hash = self.index.hash(id);
        let (place, previous) = match self.index.find(hash, id, self.legs.as_slice()) {
            Some(place) => {
                let place = place.get();
                (place, Some(self.legs[place].state()))
            }
            None if self.legs.len() < P::MOST => {
                (self.push(hash, Leg::new(CallId::new(v.call_id))), None)
            }
            None => return None,
        };
        let leg = &mut self.legs[place];
        let parents_before = leg.parent_call_ids().len();
        let applied = leg.apply_view(v, delivery);
        // The parent index changes only when the leg learns a parent it did not know; it takes the leg's
        // copy of the id.
        if self.parent_index
            && leg.parent_call_ids().len() > parents_before
            && let Some(parent) = v.parent_call_id
            && let Some(parent) = leg
                .parent_call_ids()
                .iter()
                .find(|id| id.as_str() == parent)
        {
            let parent = parent.clone();
            push_child(self.children.get_or_insert_with(&parent, Vec::new), place);
        }
        Some(Folded {
            place,
            previous,
            applied,
        })
    }

    /// Adds a leg to `legs` and the index, and gives its place; there must be no leg with its id, and
    /// room for one more (below `P::MOST`).
    fn push(&mut self, hash: u64, leg: Leg) -> usize {
        if self.index.len() == self.index.capacity() {
            self.grow_index(self.legs.len() + 1);
        }
        let place = self.legs.len();
        self.legs.push(leg);
        self.index
            .insert_new(hash, P::new(place), self.legs.as_slice());
        place
    }

    /// Makes room in the index for `legs` legs by filing every leg anew in a bigger table, in the order
    /// they are held. Growing in place would read the legs in the order of the index, each read a cache
    /// miss; read in order, they stream.
    fn grow_index(&mut self, legs: usize) {
        if legs <= self.index.capacity() {
            return;
        }
        // A table's room is a power of two buckets, less an eighth: the next one up is twice as big.
        self.index.clear_with_room(legs);
        for (place, leg) in self.legs.iter().enumerate() {
            let hash = self.index.hash(leg.call_id().as_bytes());
            self.index
                .insert_new(hash, P::new(place), self.legs.as_slice());
        }
    }

    /// The leg at a place [`apply`](LegTable::apply) gave.
    pub(crate) fn at(&self, place: usize) -> Option<&Leg> {
        self.legs.get(place)
    }

    /// The leg with this `callId`.
    pub(crate) fn leg(&self, call_id: &str) -> Option<&Leg> {
        self.legs.get(self.place(call_id)?)
    }

    /// Removes a leg (and its place in the parent index), returning it.
    pub(crate) fn remove(&mut self, call_id: &str) -> Option<Leg> {
        let id = call_id.as_bytes();
        let place = self
            .index
            .remove(self.index.hash(id), id, self.legs.as_slice())?
            .get();
        let leg = self.legs.swap_remove(place);
        for parent in leg.parent_call_ids() {
            if let Some(children) = self.children.get_mut(parent) {
                children.retain(|&child| child != place);
                if children.is_empty() {
                    self.children.remove(parent);
                }
            }
        }
        // The last leg moved into the hole: the indexes follow it.
        let last = self.legs.len();
        if let Some(moved) = self.legs.get(place) {
            let hash = self.index.hash(moved.call_id().as_bytes());
            if let Some(at) = self.index.find_mut_by(hash, |at| at.get() == last) {
                *at = P::new(place);
            }
            for parent in moved.parent_call_ids() {
                for child in self.children.get_mut(parent).into_iter().flatten() {
                    if *child == last {
                        *child = place;
                    }
                }
            }
        }
        Some(leg)
    }

    /// The index's own copy of a `parentCallId`, if a held leg named it.
    pub(crate) fn parent_id(&self, parent_call_id: &str) -> Option<&CallId> {
        self.children
            .get_key_value(parent_call_id)
            .map(|(id, _)| id)
    }

    /// Every `parentCallId` some held leg named, in no particular order.
    pub(crate) fn parents(&self) -> impl Iterator<Item = &CallId> {
        self.children.keys()
    }

    /// The held legs that named this `parentCallId`, in no particular order.
    pub(crate) fn children_of(&self, parent_call_id: &str) -> impl Iterator<Item = &Leg> {
        self.children
            .get(parent_call_id)
            .into_iter()
            .flatten()
            .filter_map(|&place| self.legs.get(place))
    }

    /// Every leg, in no particular order.
    pub(crate) fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.legs.iter()
    }

    /// Every leg, sorted by `callId`.
    pub(crate) fn into_sorted_legs(self) -> Vec<Leg> {
        let mut legs = self.legs;
        // Ids are distinct, so an unstable sort gives the one order, without a buffer of half the legs.
        legs.sort_unstable_by(|a, b| a.call_id().cmp(b.call_id()));
        legs
    }

    pub(crate) fn len(&self) -> usize {
        self.legs.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.legs.is_empty()
    }
}

impl<S: BuildHasher + Default> LegTable<S, usize> {
    /// Adds the legs of `other`: merged into the leg of the same id, or taken as they are.
    pub(crate) fn merge(&mut self, other: LegTable<S, usize>) {
        // `other`'s index goes first: its legs are looked up here, by id.
        let (mut legs, children) = (other.legs, other.children);
        drop(other.index);
        // A replay's workers fold separate calls, so most legs and parents are new here: room for them
        // all at once, not by doubling.
        self.legs.reserve(legs.len());
        self.grow_index(self.legs.len() + legs.len());
        self.children.reserve(children.len());
        // Where each of `other`'s legs is now, for its parent index (none without one). The legs are taken
        // from the end, and the list they leave gives its memory back as it shortens, a sixty-fourth at a
        // time, so that the two lists never both hold every leg.
        let mut moved = vec![0; if children.is_empty() { 0 } else { legs.len() }];
        let give_back = (legs.len() / 64).max(4096);
        while let Some(leg) = legs.pop() {
            let id = leg.call_id().as_bytes();
            let hash = self.index.hash(id);
            let place = match self.index.find(hash, id, self.legs.as_slice()).copied() {
                Some(place) => {
                    if let Some(mine) = self.legs.get_mut(place) {
                        // Same id, so it cannot fail.
                        let _ = mine.merge(&leg);
                    }
                    place
                }
                None => self.push(hash, leg),
            };
            if let Some(at) = moved.get_mut(legs.len()) {
                *at = place;
            }
            if legs.len() % give_back == 0 {
                legs.shrink_to_fit();
            }
        }
        for (parent, mut children) in children {
            for child in &mut children {
                *child = moved[*child];
            }
            self.children
                .insert_or_merge(parent, children, |mine, children| {
                    for child in children {
                        push_child(mine, child);
                    }
                });
        }
    }
}

impl<S> LegTable<S, usize> {
    /// The legs `keep` keeps, indexed with another hasher (a history's fast one into a tracker's keyed
    /// one). With every leg kept, no leg moves and the parent index is carried over; otherwise the
    /// kept legs close up and both indexes are made anew from them.
    pub(crate) fn rehash_keeping<T: BuildHasher + Default>(
        self,
        keep: impl Fn(&Leg) -> bool,
    ) -> LegTable<T, usize> {
        let before = self.legs.len();
        let mut legs = self.legs;
        legs.retain(|leg| keep(leg));
        let mut table = LegTable::<T, usize> {
            legs,
            index: IdTable::default(),
            children: IdMap::default(),
            parent_index: self.parent_index,
        };
        // Files every leg in the new index, in the order they are held.
        table.grow_index(table.legs.len());
        if !table.parent_index {
            return table;
        }
        if table.legs.len() == before {
            for (parent, children) in self.children {
                table
                    .children
                    .insert_or_merge(parent, children, |mine, children| {
                        for child in children {
                            push_child(mine, child);
                        }
                    });
            }
        } else {
            for (place, leg) in table.legs.iter().enumerate() {
                for parent in leg.parent_call_ids() {
                    push_child(table.children.get_or_insert_with(parent, Vec::new), place);
                }
            }
        }
        table
    }
}

/// Adds `child` to a parent's legs unless it is there.
fn push_child(children: &mut Vec<usize>, child: usize) {
    if !children.contains(&child) {
        reserve_one(children);
        children.push(child);
    }
}
