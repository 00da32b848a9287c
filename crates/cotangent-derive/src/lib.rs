//! Derives for cotangent: `#[derive(Tree)]` lists a struct's tensor leaves for
//! `cotangent::tree`, and `#[derive(Module)]` (for `cotangent-nn`) does that and forwards
//! train/eval mode to every field. Fields are visited in declaration order and named by field
//! (`0`, `1`, ... for tuple structs); a field marked `#[tree(skip)]` is neither visited nor
//! required to be a tree (it is cloned as is).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{parse_macro_input, parse_quote, Data, DeriveInput, Fields, Index};

/// `impl cotangent::tree::Tree` for a struct (see `cotangent::tree`).
#[proc_macro_derive(Tree, attributes(tree))]
pub fn derive_tree(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    tree_impl(&input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

/// `impl cotangent::tree::Tree` and `impl cotangent_nn::Module` for a struct: parameters are
/// its tensor leaves, and `set_training` is forwarded to every field that is not skipped.
#[proc_macro_derive(Module, attributes(tree))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let out = tree_impl(&input).and_then(|tree| {
        let fields = visited_fields(&input)?;
        let name = &input.ident;
        let mut generics = input.generics.clone();
        for p in generics.type_params_mut() {
            p.bounds.push(parse_quote!(::cotangent_nn::Module));
        }
        let (imp, ty, wh) = generics.split_for_impl();
        let calls = fields.iter().map(|(member, _)| {
            quote! { ::cotangent_nn::Module::set_training(&mut self.#member, training); }
        });
        Ok(quote! {
            #tree
            impl #imp ::cotangent_nn::Module for #name #ty #wh {
                fn set_training(&mut self, training: bool) {
                    let _ = training;
                    #(#calls)*
                }
            }
        })
    });
    out.unwrap_or_else(|e| e.to_compile_error()).into()
}

/// The fields to visit: their member (`self.x` / `self.0`) and leaf name.
fn visited_fields(input: &DeriveInput) -> syn::Result<Vec<(Tokens, String)>> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "Tree and Module can be derived for structs only",
        ));
    };
    let mut out = Vec::new();
    let fields: Vec<&syn::Field> = match &data.fields {
        Fields::Named(f) => f.named.iter().collect(),
        Fields::Unnamed(f) => f.unnamed.iter().collect(),
        Fields::Unit => Vec::new(),
    };
    for (i, field) in fields.into_iter().enumerate() {
        if is_skipped(field)? {
            continue;
        }
        match &field.ident {
            Some(id) => out.push((quote!(#id), id.to_string())),
            None => {
                let idx = Index::from(i);
                out.push((quote!(#idx), i.to_string()));
            }
        }
    }
    Ok(out)
}

/// Whether a field carries `#[tree(skip)]` (any other `tree(...)` is an error).
fn is_skipped(field: &syn::Field) -> syn::Result<bool> {
    let mut skip = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("tree")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error("expected `#[tree(skip)]`"))
            }
        })?;
    }
    Ok(skip)
}

fn tree_impl(input: &DeriveInput) -> syn::Result<Tokens> {
    let fields = visited_fields(input)?;
    let name = &input.ident;
    let mut generics = input.generics.clone();
    for p in generics.type_params_mut() {
        p.bounds.push(parse_quote!(::cotangent::tree::Tree));
    }
    let (imp, ty, wh) = generics.split_for_impl();
    let f = format_ident!("f");
    let visit = fields.iter().map(|(m, n)| {
        quote! {
            ::cotangent::tree::Tree::visit_leaves(
                &self.#m, &::cotangent::tree::child_path(prefix, #n), #f);
        }
    });
    let visit_mut = fields.iter().map(|(m, n)| {
        quote! {
            ::cotangent::tree::Tree::visit_leaves_mut(
                &mut self.#m, &::cotangent::tree::child_path(prefix, #n), #f);
        }
    });
    let each = fields
        .iter()
        .map(|(m, _)| quote! { ::cotangent::tree::Tree::for_each_leaf(&self.#m, #f); });
    let hash = fields
        .iter()
        .map(|(m, _)| quote! { ::cotangent::tree::Tree::hash_static(&self.#m, state); });
    let each_mut = fields
        .iter()
        .map(|(m, _)| quote! { ::cotangent::tree::Tree::for_each_leaf_mut(&mut self.#m, #f); });
    Ok(quote! {
        impl #imp ::cotangent::tree::Tree for #name #ty #wh {
            fn visit_leaves(
                &self,
                prefix: &str,
                #f: &mut dyn FnMut(&str, &::cotangent::Tensor),
            ) {
                let _ = (&prefix, &#f);
                #(#visit)*
            }
            fn visit_leaves_mut(
                &mut self,
                prefix: &str,
                #f: &mut dyn FnMut(&str, &mut ::cotangent::Tensor),
            ) {
                let _ = (&prefix, &#f);
                #(#visit_mut)*
            }
            fn for_each_leaf(&self, #f: &mut dyn FnMut(&::cotangent::Tensor)) {
                let _ = &#f;
                #(#each)*
            }
            fn for_each_leaf_mut(&mut self, #f: &mut dyn FnMut(&mut ::cotangent::Tensor)) {
                let _ = &#f;
                #(#each_mut)*
            }
            fn hash_static(&self, state: &mut dyn ::std::hash::Hasher) {
                let _ = &state;
                #(#hash)*
            }
        }
    })
}
