//! [`Tree`] for the standard containers: a tensor is one leaf; tuples, arrays, `Vec` and
//! `Box` hold their children in order; string-keyed maps in key order (so two `HashMap`s with
//! the same keys always flatten alike); `Option` has its value's leaves or none; plain numbers,
//! `bool`, `String` and `()` have no leaves.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hasher;

use crate::core::Tensor;
use crate::tree::{child_path, Tree};

impl Tree for Tensor {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        f(prefix, self);
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        f(prefix, self);
    }
    fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
        f(self);
    }
    fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
        f(self);
    }
}

/// Types that are trees with no leaves: static data carried along unchanged, fed to
/// `hash_static` as the bytes that `to_bits`/`to_le_bytes` give.
macro_rules! no_leaves {
    ($($t:ty => |$v:ident, $h:ident| $hash:expr;)*) => {$(
        impl Tree for $t {
            fn visit_leaves(&self, _: &str, _: &mut dyn FnMut(&str, &Tensor)) {}
            fn visit_leaves_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Tensor)) {}
            fn for_each_leaf(&self, _: &mut dyn FnMut(&Tensor)) {}
            fn for_each_leaf_mut(&mut self, _: &mut dyn FnMut(&mut Tensor)) {}
            fn hash_static(&self, $h: &mut dyn Hasher) {
                let $v = self;
                $hash
            }
        }
    )*};
}
no_leaves! {
    () => |_v, _h| ();
    bool => |v, h| h.write_u8(u8::from(*v));
    f32 => |v, h| h.write_u32(v.to_bits());
    f64 => |v, h| h.write_u64(v.to_bits());
    i8 => |v, h| h.write(&v.to_le_bytes());
    i16 => |v, h| h.write(&v.to_le_bytes());
    i32 => |v, h| h.write(&v.to_le_bytes());
    i64 => |v, h| h.write(&v.to_le_bytes());
    u8 => |v, h| h.write_u8(*v);
    u16 => |v, h| h.write(&v.to_le_bytes());
    u32 => |v, h| h.write(&v.to_le_bytes());
    u64 => |v, h| h.write(&v.to_le_bytes());
    usize => |v, h| h.write(&v.to_le_bytes());
    isize => |v, h| h.write(&v.to_le_bytes());
    String => |v, h| { h.write(v.as_bytes()); h.write_u8(0xff) };
    &'static str => |v, h| { h.write(v.as_bytes()); h.write_u8(0xff) };
}

impl<T: Tree> Tree for Option<T> {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        if let Some(t) = self {
            t.visit_leaves(prefix, f);
        }
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        if let Some(t) = self {
            t.visit_leaves_mut(prefix, f);
        }
    }
    fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
        if let Some(t) = self {
            t.for_each_leaf(f);
        }
    }
    fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
        if let Some(t) = self {
            t.for_each_leaf_mut(f);
        }
    }
    fn hash_static(&self, h: &mut dyn Hasher) {
        h.write_u8(u8::from(self.is_some()));
        if let Some(t) = self {
            t.hash_static(h);
        }
    }
}

impl<T: Tree> Tree for Box<T> {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        (**self).visit_leaves(prefix, f);
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        (**self).visit_leaves_mut(prefix, f);
    }
    fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
        (**self).for_each_leaf(f);
    }
    fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
        (**self).for_each_leaf_mut(f);
    }
    fn hash_static(&self, h: &mut dyn Hasher) {
        (**self).hash_static(h);
    }
}

/// Sequences: children named by index.
macro_rules! sequence {
    ([$($generics:tt)*] $t:ty) => {
        impl<$($generics)*> Tree for $t {
            fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
                for (i, t) in self.iter().enumerate() {
                    t.visit_leaves(&child_path(prefix, &i.to_string()), f);
                }
            }
            fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
                for (i, t) in self.iter_mut().enumerate() {
                    t.visit_leaves_mut(&child_path(prefix, &i.to_string()), f);
                }
            }
            fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
                self.iter().for_each(|t| t.for_each_leaf(f));
            }
            fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
                self.iter_mut().for_each(|t| t.for_each_leaf_mut(f));
            }
            fn hash_static(&self, h: &mut dyn Hasher) {
                h.write_usize(self.len());
                self.iter().for_each(|t| t.hash_static(h));
            }
        }
    };
}
sequence!([T: Tree] Vec<T>);
sequence!([T: Tree, const N: usize] [T; N]);

impl<T: Tree> Tree for BTreeMap<String, T> {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        for (k, t) in self {
            t.visit_leaves(&child_path(prefix, k), f);
        }
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        for (k, t) in self.iter_mut() {
            t.visit_leaves_mut(&child_path(prefix, k), f);
        }
    }
    fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
        self.values().for_each(|t| t.for_each_leaf(f));
    }
    fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
        self.values_mut().for_each(|t| t.for_each_leaf_mut(f));
    }
    fn hash_static(&self, h: &mut dyn Hasher) {
        for (k, t) in self {
            h.write(k.as_bytes());
            h.write_u8(0xff);
            t.hash_static(h);
        }
    }
}

impl<T: Tree, S: std::hash::BuildHasher + Clone> Tree for HashMap<String, T, S> {
    fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
        let mut keys: Vec<&String> = self.keys().collect();
        keys.sort();
        for k in keys {
            self[k].visit_leaves(&child_path(prefix, k), f);
        }
    }
    fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
        let mut entries: Vec<(&String, &mut T)> = self.iter_mut().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (k, t) in entries {
            t.visit_leaves_mut(&child_path(prefix, k), f);
        }
    }
    fn hash_static(&self, h: &mut dyn Hasher) {
        let mut keys: Vec<&String> = self.keys().collect();
        keys.sort();
        for k in keys {
            h.write(k.as_bytes());
            h.write_u8(0xff);
            self[k].hash_static(h);
        }
    }
}

/// Tuples: children named `0`, `1`, ...
macro_rules! tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Tree),+> Tree for ($($name,)+) {
            fn visit_leaves(&self, prefix: &str, f: &mut dyn FnMut(&str, &Tensor)) {
                $(self.$idx.visit_leaves(&child_path(prefix, stringify!($idx)), f);)+
            }
            fn visit_leaves_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Tensor)) {
                $(self.$idx.visit_leaves_mut(&child_path(prefix, stringify!($idx)), f);)+
            }
            fn for_each_leaf(&self, f: &mut dyn FnMut(&Tensor)) {
                $(self.$idx.for_each_leaf(f);)+
            }
            fn for_each_leaf_mut(&mut self, f: &mut dyn FnMut(&mut Tensor)) {
                $(self.$idx.for_each_leaf_mut(f);)+
            }
            fn hash_static(&self, h: &mut dyn Hasher) {
                $(self.$idx.hash_static(h);)+
            }
        }
    };
}
tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
