//! The compile-time checks of `compiler.js`: the errors raised before anything renders.

use super::TemplateError;
use super::lexer::Loc;
use super::parser::{Program, Stmt, located};

pub(super) fn check_partial_arguments(count: usize, loc: Loc) -> Result<(), TemplateError> {
    if count > 1 {
        return Err(located(
            &format!("Unsupported number of partial arguments: {count}"),
            loc,
        ));
    }
    Ok(())
}

/// The errors `Compiler` raises before anything renders.
pub(super) fn check_compile(program: &Program) -> Result<(), TemplateError> {
    for stmt in &program.body {
        match stmt {
            Stmt::Block(b) => {
                for p in [&b.program, &b.inverse].into_iter().flatten() {
                    check_compile(p)?;
                }
            }
            Stmt::Partial(p) => check_partial_arguments(p.params.len(), p.loc)?,
            Stmt::PartialBlock(p) => {
                check_compile(&p.program)?;
                check_partial_arguments(p.params.len(), p.loc)?;
            }
            Stmt::Content(_) | Stmt::Comment(_) | Stmt::Mustache(_) => {}
        }
    }
    Ok(())
}
