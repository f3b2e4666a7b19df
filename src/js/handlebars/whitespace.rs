//! `WhitespaceControl` (`compiler/whitespace-control.js`): standalone lines and `~` stripping.

use super::parser::{Block, PartialBlock, Program, Stmt};
use super::value::is_js_space;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StripInfo {
    pub(super) open: bool,
    pub(super) close: bool,
    pub(super) open_standalone: bool,
    pub(super) close_standalone: bool,
    pub(super) inline_standalone: bool,
}

pub(super) fn leading_space(s: &str) -> &str {
    let end = s.find(|c: char| !is_js_space(c)).unwrap_or(s.len());
    &s[..end]
}

pub(super) fn trailing_space(s: &str) -> &str {
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| !is_js_space(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &s[start..]
}

pub(super) fn is_prev_whitespace(body: &[Stmt], i: Option<usize>, is_root: bool) -> bool {
    let i = i.unwrap_or(body.len());
    let prev = i.checked_sub(1).and_then(|k| body.get(k));
    let sibling = i.checked_sub(2).and_then(|k| body.get(k));
    match prev {
        None => is_root,
        Some(Stmt::Content(c)) => {
            let trailing = trailing_space(&c.original);
            // `/\r?\n\s*?$/`, or `/(^|\r?\n)\s*?$/` for the root's first node.
            trailing.contains('\n')
                || (sibling.is_none() && is_root && trailing.len() == c.original.len())
        }
        Some(_) => false,
    }
}

pub(super) fn is_next_whitespace(body: &[Stmt], i: Option<usize>, is_root: bool) -> bool {
    let next_index = i.map_or(0, |i| i + 1);
    let next = body.get(next_index);
    let sibling = body.get(next_index + 1);
    match next {
        None => is_root,
        Some(Stmt::Content(c)) => {
            let leading = leading_space(&c.original);
            // `/^\s*?\r?\n/`, or `/^\s*?(\r?\n|$)/` for the root's last node.
            leading.contains('\n')
                || (sibling.is_none() && is_root && leading.len() == c.original.len())
        }
        Some(_) => false,
    }
}

/// `omitRight`: the node after `i` (or the first node) loses its leading whitespace.
pub(super) fn omit_right(body: &mut [Stmt], i: Option<usize>, multiple: bool) {
    let index = i.map_or(0, |i| i + 1);
    let Some(Stmt::Content(c)) = body.get_mut(index) else {
        return;
    };
    if !multiple && c.right_stripped {
        return;
    }
    let stripped = if multiple {
        c.value.trim_start_matches(is_js_space).to_owned()
    } else {
        // `/^[ \t]*\r?\n?/`
        let s = c.value.trim_start_matches([' ', '\t']);
        let s = s.strip_prefix('\r').unwrap_or(s);
        let s = s.strip_prefix('\n').unwrap_or(s);
        s.to_owned()
    };
    c.right_stripped = stripped != c.value;
    c.value = stripped;
}

/// `omitLeft`: the node before `i` (or the last node) loses its trailing whitespace.
pub(super) fn omit_left(body: &mut [Stmt], i: Option<usize>, multiple: bool) -> bool {
    let index = match i {
        None => body.len().checked_sub(1),
        Some(i) => i.checked_sub(1),
    };
    let Some(Stmt::Content(c)) = index.and_then(|k| body.get_mut(k)) else {
        return false;
    };
    if !multiple && c.left_stripped {
        return false;
    }
    let stripped = if multiple {
        c.value.trim_end_matches(is_js_space).to_owned()
    } else {
        c.value.trim_end_matches([' ', '\t']).to_owned()
    };
    c.left_stripped = stripped != c.value;
    c.value = stripped;
    c.left_stripped
}

/// `(block.program || block.inverse).body`
pub(super) fn main_body_mut(block: &mut Block) -> Option<&mut Vec<Stmt>> {
    match (&mut block.program, &mut block.inverse) {
        (Some(p), _) | (None, Some(p)) => Some(&mut p.body),
        (None, None) => None,
    }
}

/// `(block.inverse || block.program).body`
pub(super) fn inverse_first_body_mut(block: &mut Block) -> Option<&mut Vec<Stmt>> {
    match (&mut block.inverse, &mut block.program) {
        (Some(p), _) | (None, Some(p)) => Some(&mut p.body),
        (None, None) => None,
    }
}

/// The first inverse of a chain: `inverse.body[0].program`.
pub(super) fn first_inverse(inverse: &Program) -> Option<&Program> {
    if !inverse.chained {
        return Some(inverse);
    }
    match inverse.body.first() {
        Some(Stmt::Block(b)) => b.program.as_ref(),
        _ => None,
    }
}

pub(super) fn first_inverse_mut(inverse: &mut Program) -> Option<&mut Program> {
    if !inverse.chained {
        return Some(inverse);
    }
    match inverse.body.first_mut() {
        Some(Stmt::Block(b)) => b.program.as_mut(),
        _ => None,
    }
}

/// handlebars walks `lastInverse = lastInverse.body[last].program` while it is chained.
pub(super) fn last_inverse_mut(inverse: &mut Program) -> Option<&mut Program> {
    if !inverse.chained {
        return Some(inverse);
    }
    match inverse.body.last_mut() {
        Some(Stmt::Block(b)) => b.program.as_mut().and_then(last_inverse_mut),
        _ => None,
    }
}

pub(super) fn strip_block(block: &mut Block) -> StripInfo {
    if let Some(p) = block.program.as_mut() {
        strip_program(p, false);
    }
    if let Some(p) = block.inverse.as_mut() {
        strip_program(p, false);
    }
    let has_inverse = block.program.is_some() && block.inverse.is_some();
    let main: &[Stmt] = block
        .program
        .as_ref()
        .or(block.inverse.as_ref())
        .map_or(&[], |p| &p.body);
    let first_inv_body: &[Stmt] = if has_inverse {
        block
            .inverse
            .as_ref()
            .and_then(first_inverse)
            .map_or(&[], |p| &p.body)
    } else {
        main
    };
    let strip = StripInfo {
        open: block.open_strip.open,
        close: block.close_strip.close,
        open_standalone: is_next_whitespace(main, None, false),
        close_standalone: is_prev_whitespace(first_inv_body, None, false),
        inline_standalone: false,
    };
    let standalone_else = has_inverse
        && is_prev_whitespace(main, None, false)
        && is_next_whitespace(first_inv_body, None, false);
    if block.open_strip.close
        && let Some(b) = main_body_mut(block)
    {
        omit_right(b, None, true);
    }
    if has_inverse {
        let inverse_strip = block.inverse_strip;
        if inverse_strip.open
            && let Some(b) = main_body_mut(block)
        {
            omit_left(b, None, true);
        }
        if inverse_strip.close
            && let Some(p) = block.inverse.as_mut().and_then(first_inverse_mut)
        {
            omit_right(&mut p.body, None, true);
        }
        if block.close_strip.open
            && let Some(p) = block.inverse.as_mut().and_then(last_inverse_mut)
        {
            omit_left(&mut p.body, None, true);
        }
        if standalone_else {
            if let Some(b) = main_body_mut(block) {
                omit_left(b, None, false);
            }
            if let Some(p) = block.inverse.as_mut().and_then(first_inverse_mut) {
                omit_right(&mut p.body, None, false);
            }
        }
    } else if block.close_strip.open
        && let Some(b) = main_body_mut(block)
    {
        omit_left(b, None, true);
    }
    strip
}

pub(super) fn strip_partial_block(block: &mut PartialBlock) -> StripInfo {
    strip_program(&mut block.program, false);
    let strip = StripInfo {
        open: block.open_strip.open,
        close: block.close_strip.close,
        open_standalone: is_next_whitespace(&block.program.body, None, false),
        close_standalone: is_prev_whitespace(&block.program.body, None, false),
        inline_standalone: false,
    };
    if block.open_strip.close {
        omit_right(&mut block.program.body, None, true);
    }
    if block.close_strip.open {
        omit_left(&mut block.program.body, None, true);
    }
    strip
}

pub(super) fn strip_statement(stmt: &mut Stmt) -> Option<StripInfo> {
    match stmt {
        Stmt::Content(_) => None,
        Stmt::Mustache(m) => Some(StripInfo {
            open: m.strip.open,
            close: m.strip.close,
            ..StripInfo::default()
        }),
        Stmt::Comment(strip) => Some(StripInfo {
            open: strip.open,
            close: strip.close,
            inline_standalone: true,
            ..StripInfo::default()
        }),
        Stmt::Partial(p) => Some(StripInfo {
            open: p.strip.open,
            close: p.strip.close,
            inline_standalone: true,
            ..StripInfo::default()
        }),
        Stmt::Block(b) => Some(strip_block(b)),
        Stmt::PartialBlock(b) => Some(strip_partial_block(b)),
    }
}

pub(super) fn strip_program(program: &mut Program, is_root: bool) {
    let body = &mut program.body;
    for i in 0..body.len() {
        let Some(strip) = strip_statement(&mut body[i]) else {
            continue;
        };
        let prev_whitespace = is_prev_whitespace(body, Some(i), is_root);
        let next_whitespace = is_next_whitespace(body, Some(i), is_root);
        let open_standalone = strip.open_standalone && prev_whitespace;
        let close_standalone = strip.close_standalone && next_whitespace;
        let inline_standalone = strip.inline_standalone && prev_whitespace && next_whitespace;
        if strip.close {
            omit_right(body, Some(i), true);
        }
        if strip.open {
            omit_left(body, Some(i), true);
        }
        if inline_standalone {
            omit_right(body, Some(i), false);
            if omit_left(body, Some(i), false) {
                let indent = match body.get(i - 1) {
                    Some(Stmt::Content(c)) => {
                        let kept = c.original.trim_end_matches([' ', '\t']);
                        c.original[kept.len()..].to_owned()
                    }
                    _ => String::new(),
                };
                if let Some(Stmt::Partial(p)) = body.get_mut(i) {
                    p.indent = indent;
                }
            }
        }
        if open_standalone {
            let inner = match &mut body[i] {
                Stmt::Block(b) => main_body_mut(b),
                Stmt::PartialBlock(b) => Some(&mut b.program.body),
                _ => None,
            };
            if let Some(inner) = inner {
                omit_right(inner, None, false);
            }
            omit_left(body, Some(i), false);
        }
        if close_standalone {
            omit_right(body, Some(i), false);
            let inner = match &mut body[i] {
                Stmt::Block(b) => inverse_first_body_mut(b),
                Stmt::PartialBlock(b) => Some(&mut b.program.body),
                _ => None,
            };
            if let Some(inner) = inner {
                omit_left(inner, None, false);
            }
        }
    }
}

/// `WhitespaceControl` over the root program.
pub(super) fn strip_whitespace(program: &mut Program) {
    strip_program(program, true);
}
