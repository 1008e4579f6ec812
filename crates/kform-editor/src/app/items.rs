//! The form items panel: the list (add, move, remove), the ways to add hidden items, headings
//! and page breaks, and the open item's settings.

use super::*;

pub(super) fn item_list(ctx: Ctx) -> El {
    let locale = ctx.locale;
    let items = ctx.state.with(|s| s.items().to_vec());
    let lint = ctx.lint.get();
    let count = items.len();
    if count == 0 {
        return el("p").class("kfe-empty").text(Text::NoItemsYet.get(locale));
    }
    let fields = ctx.state.with(|s| s.fields().cloned()).unwrap_or_default();
    let lines = items.into_iter().enumerate().map(|(index, item)| {
        let kintone_label =
            item.field.as_ref().and_then(|code| fields.get(code.as_str())).map(|f| f.label.clone());
        let name = item
            .label
            .clone()
            .or(kintone_label)
            .unwrap_or_else(|| Text::HeadingMark.get(locale).to_owned());
        let kind = if item.page_break {
            Text::PageBreakMark.get(locale).to_owned()
        } else if item.hidden.is_some() {
            format!("{} = {}", Text::FixedValueMark.get(locale), value_text(item.hidden.as_ref()))
        } else {
            item.field.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default()
        };
        let problems = lint.iter().filter(|issue| issue.item == Some(index)).count();
        let mark = (problems > 0).then(|| {
            el("span")
                .class("kfe-problem-count")
                .text(format!("{} {problems}", Text::ProblemsMark.get(locale)))
        });
        let selected = move || ctx.selected.get() == Some(index);
        let mover = move |by: isize, which: &'static str| {
            move |_| {
                let to = ctx.state.try_update(|s| s.move_item(index, by)).unwrap_or(index);
                if ctx.selected.get_untracked() == Some(index) {
                    ctx.selected.set(Some(to));
                }
                // The focus follows the item; at either end its other arrow takes it, since
                // a disabled button cannot hold the focus.
                let which = match which {
                    "up" if to == 0 => "down",
                    "down" if to + 1 == count => "up",
                    _ => which,
                };
                focus_later(ctx, format!("kfe-item-{to}-{which}"));
            }
        };
        let remove = move |_| {
            ctx.state.update(|s| s.remove(index));
            ctx.selected.set(None);
            focus_later(ctx, format!("kfe-item-{}-edit", index.min(count.saturating_sub(2))));
        };
        let edit = move |_| {
            ctx.selected.set(Some(index));
            focus_later(ctx, "kfe-s-label".into());
        };
        // An item's button, named for the item for screen readers.
        let item_button = |text: &str, action: &str, id: &str| {
            el("button")
                .attr("type", "button")
                .attr("aria-label", format!("{name} {action}"))
                .id(format!("kfe-item-{index}-{id}"))
                .text(text)
        };
        let up = item_button("↑", Text::MoveUpSuffix.get(locale), "up");
        let down = item_button("↓", Text::MoveDownSuffix.get(locale), "down");
        el("li")
            .attr_with("class", move || {
                Some(if selected() { "kfe-item kfe-selected" } else { "kfe-item" }.to_owned())
            })
            .child(el("span").class("kfe-item-name").text(&name))
            .child(el("span").class("kfe-type").text(&kind))
            .child_opt(mark)
            .child(
                el("span")
                    .class("kfe-item-buttons")
                    .child(
                        if index == 0 { up.attr("disabled", "") } else { up }
                            .on("click", mover(-1, "up")),
                    )
                    .child(
                        if index + 1 == count { down.attr("disabled", "") } else { down }
                            .on("click", mover(1, "down")),
                    )
                    .child(
                        item_button(Text::Edit.get(locale), Text::EditSuffix.get(locale), "edit")
                            .attr_with("aria-pressed", move || Some(selected().to_string()))
                            .on("click", edit),
                    )
                    .child(
                        button(Text::Remove.get(locale), remove).attr(
                            "aria-label",
                            format!("{name} {}", Text::RemoveSuffix.get(locale)),
                        ),
                    ),
            )
    });
    el("ol").class("kfe-items").children(lines)
}

/// The options "label (code)" for the app's fields that `keep` accepts.
pub(super) fn field_options(ctx: Ctx, keep: impl Fn(&FieldRow) -> bool) -> Vec<(String, String)> {
    ctx.state
        .with(EditorState::field_rows)
        .into_iter()
        .filter(|row| keep(row))
        .map(|row| {
            let text = format!("{} ({})", row.label, row.code);
            (row.code, text)
        })
        .collect()
}

/// Field codes as options, each shown as itself.
pub(super) fn code_options(codes: Vec<String>) -> Vec<(String, String)> {
    codes.into_iter().map(|code| (code.clone(), code)).collect()
}

/// Hidden identifiers, headings and page breaks.
pub(super) fn add_more(ctx: Ctx) -> [El; 2] {
    let locale = ctx.locale;
    let code = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let candidates = move || field_options(ctx, |row| row.state == FieldState::Addable);
    let add_hidden = move |ev: Event| {
        ev.prevent_default();
        let (c, v) = (code.get_untracked(), value.get_untracked());
        if c.is_empty() || v.is_empty() {
            return;
        }
        let added = ctx.state.try_update(|s| s.add_hidden(&c, &v)).flatten();
        if added.is_some() {
            value.set(String::new());
            code.set(String::new());
        }
    };
    let add_note = move |_| {
        let added = ctx.state.try_update(|s| s.add_note(Text::NewHeading.get(locale))).flatten();
        ctx.selected.set(added);
        focus_later(ctx, "kfe-s-label".into());
    };
    let add_break = move |_| {
        let added =
            ctx.state.try_update(|s| s.add_page_break(Text::NewPageBreak.get(locale))).flatten();
        ctx.selected.set(added);
    };
    let hidden = el("fieldset")
        .child(el("legend").text(Text::HiddenItem.get(locale)))
        .children(labelled(
            "kfe-hidden-field",
            Text::Field.get(locale),
            choice(Text::Choose.get(locale), candidates, move || code.get())
                .on("change", move |ev| code.set(target_value(&ev))),
        ))
        .children(labelled(
            "kfe-hidden-value",
            Text::ValueSent.get(locale),
            text_input()
                .value_with(move || value.get())
                .on("input", move |ev| value.set(target_value(&ev))),
        ))
        .child(el("button").attr("type", "submit").text(Text::AddHidden.get(locale)));
    [
        el("form").class("kfe-hidden").on("submit", add_hidden).child(hidden),
        el("p")
            .class("kfe-row")
            .child(button(Text::AddHeading.get(locale), add_note))
            .child(button(Text::AddPageBreak.get(locale), add_break)),
    ]
}

/// An item's text setting: its input's id, its label, its current value and its edit.
/// A text setting: its input's id, its label, its current value, its edit, and whether it
/// applies as it is typed (free text) or when the box is left (values typed with commas, which
/// a half-typed list would cut short).
pub(super) type TextSetting =
    (&'static str, &'static str, fn(&FormItem) -> String, fn(String) -> Edit, bool);

/// A labelled text input bound to one item edit.
pub(super) fn text_setting(
    ctx: Ctx,
    index: usize,
    id: &str,
    text: &str,
    current: fn(&FormItem) -> String,
    edit: fn(String) -> Edit,
    live: bool,
) -> [El; 2] {
    let value = move || ctx.state.with(|s| s.items().get(index).map(current).unwrap_or_default());
    let input =
        text_input().value_with(value).on(if live { "input" } else { "change" }, move |ev| {
            ctx.state.update(|s| s.edit(index, edit(target_value(&ev))));
        });
    labelled(id, text, input)
}

/// The open item's settings.
pub(super) fn item_settings(ctx: Ctx, index: usize) -> El {
    let locale = ctx.locale;
    let item = move |s: &EditorState| s.items().get(index).cloned().unwrap_or_default();
    let field = move |s: &EditorState| {
        let code = s.items().get(index)?.field.clone()?;
        s.fields()?.get(code.as_str()).cloned()
    };
    let kintone_required = ctx.state.with_untracked(|s| field(s).is_some_and(|f| f.required));
    let is_text = ctx.state.with_untracked(|s| {
        field(s).is_some_and(|f| matches!(f.kind, FieldKind::SingleLineText { .. }))
    });
    let options = ctx
        .state
        .with_untracked(|s| field(s).and_then(|f| f.kind.options().map(<[_]>::to_vec)))
        .unwrap_or_default();
    let hidden = ctx.state.with_untracked(|s| item(s).hidden.is_some());
    let is_file = ctx
        .state
        .with_untracked(|s| field(s).is_some_and(|f| matches!(f.kind, FieldKind::File { .. })));
    let page_break = ctx.state.with_untracked(|s| item(s).page_break);
    // The field this item maps: none, its own, or any writable field not on the form yet.
    let mapping = move || {
        let own = ctx.state.with(|s| item(s).field.map(|code| code.as_str().to_owned()));
        field_options(ctx, move |row| {
            row.state == FieldState::Addable || Some(&row.code) == own.as_ref()
        })
    };
    let mapped = move || {
        ctx.state.with(|s| item(s).field.map(|c| c.as_str().to_owned()).unwrap_or_default())
    };
    let on_map = move |ev: Event| {
        let code = target_value(&ev);
        ctx.state.update(|s| s.edit(index, Edit::Field((!code.is_empty()).then_some(code))));
        // The settings are built for the field's type: build them again for the new one, and
        // keep the focus where it was.
        ctx.selected.set(Some(index));
        focus_later(ctx, "kfe-s-field".into());
    };
    let condition_field = RwSignal::new(ctx.state.with_untracked(|s| {
        item(s).show_if.map(|c| c.field.as_str().to_owned()).unwrap_or_default()
    }));
    let condition_values = RwSignal::new(
        ctx.state
            .with_untracked(|s| item(s).show_if.map(|c| c.any_of.join(", ")).unwrap_or_default()),
    );
    let set_condition = move || {
        let (code, values) = (condition_field.get_untracked(), condition_values.get_untracked());
        let condition = (!code.is_empty()).then_some((code, values));
        ctx.state.update(|s| s.edit(index, Edit::ShowIf(condition)));
    };
    let problems = move || {
        ctx.lint
            .get()
            .into_iter()
            .filter(|issue| issue.item == Some(index))
            .map(|issue| issue_line(locale, &issue, ""))
            .collect::<Vec<_>>()
    };
    let hint = move |ev: Event| {
        let hint = InputHint::from_name(&target_value(&ev));
        ctx.state.update(|s| s.edit(index, Edit::Hint(hint)));
    };
    let hint_value =
        move || ctx.state.with(|s| item(s).input_hint).map_or("", InputHint::name).to_owned();
    let option_rows = options.iter().enumerate().map(|(n, choice)| {
        let value = choice.value.clone();
        let offered = {
            let value = value.clone();
            move || ctx.state.with(|s| !item(s).hide_options.contains(&value))
        };
        let input = {
            let value = value.clone();
            el("input").attr("type", "checkbox").checked_with(offered).on("change", move |ev| {
                ctx.state
                    .update(|s| s.edit(index, Edit::Offer(value.clone(), target_checked(&ev))));
            })
        };
        // The form's own words for the option (an English form's for a Japanese choice).
        let shown = {
            let value = value.clone();
            move || {
                ctx.state.with(|s| item(s).option_labels.get(&value).unwrap_or_default().to_owned())
            }
        };
        let label = text_input()
            .attr("placeholder", &choice.label)
            .attr("aria-label", format!("{} {}", choice.label, Text::ShownAsSuffix.get(locale)))
            .value_with(shown)
            .on("input", move |ev| {
                ctx.state
                    .update(|s| s.edit(index, Edit::OptionLabel(value.clone(), target_value(&ev))));
            });
        el("div")
            .class("kfe-option")
            .child(checkbox(&format!("kfe-s-option-{n}"), &choice.label, input))
            .child(label.id(format!("kfe-s-option-label-{n}")))
    });
    let mut section = el("section")
        .class("kfe-settings")
        .attr("aria-labelledby", "kfe-s-h")
        .child(el("h4").id("kfe-s-h").text_with(move || {
            // Named as the visitor sees the item: its own label, else kintone's, else its number.
            let name = ctx.state.with(|s| item(s).label.or_else(|| field(s).map(|f| f.label)));
            match name {
                Some(name) => crate::text::settings_of(&name, locale),
                None => format!("{} {}", Text::Item.get(locale), index + 1),
            }
        }))
        .child(el("ul").class("kfe-problems").dynamic(problems));
    if !page_break {
        let none = Text::NoField.get(locale);
        section = section.children(labelled(
            "kfe-s-field",
            Text::KintoneField.get(locale),
            choice(none, mapping, mapped).on("change", on_map),
        ));
    }
    // The text settings: (id, label, current value, edit); a hidden item sends a fixed value
    // instead of showing a placeholder and an initial value.
    let mut texts: Vec<TextSetting> = vec![
        (
            "kfe-s-label",
            Text::Label.get(locale),
            |i| i.label.clone().unwrap_or_default(),
            Edit::Label,
            true,
        ),
        (
            "kfe-s-help",
            Text::Help.get(locale),
            |i| i.help.clone().unwrap_or_default(),
            Edit::Help,
            true,
        ),
    ];
    if hidden {
        texts.push((
            "kfe-s-hidden",
            Text::FixedValue.get(locale),
            |i| value_text(i.hidden.as_ref()),
            Edit::Hidden,
            false,
        ));
    } else {
        texts.push((
            "kfe-s-placeholder",
            Text::Placeholder.get(locale),
            |i| i.placeholder.clone().unwrap_or_default(),
            Edit::Placeholder,
            true,
        ));
        texts.push((
            "kfe-s-initial",
            Text::InitialValue.get(locale),
            |i| value_text(i.initial.as_ref()),
            Edit::Initial,
            false,
        ));
    }
    for (id, text, current, edit, live) in texts {
        section = section.children(text_setting(ctx, index, id, text, current, edit, live));
    }
    if is_text {
        let hints = [
            ("email", Text::HintEmail.get(locale)),
            ("tel", Text::HintTel.get(locale)),
            ("url", "URL"),
            ("postal_code", Text::HintPostalCode.get(locale)),
        ];
        let select = el("select")
            .child(option("", Text::None.get(locale)))
            .children(hints.into_iter().map(|(value, text)| option(value, text)))
            .value_with(hint_value)
            .on("change", hint);
        section = section.children(labelled("kfe-s-hint", Text::InputHint.get(locale), select));
    }
    let required = el("input")
        .attr("type", "checkbox")
        .checked_with(move || kintone_required || ctx.state.with(|s| item(s).required))
        .on("change", move |ev| {
            ctx.state.update(|s| s.edit(index, Edit::Required(target_checked(&ev))));
        });
    // Required can only be tightened: a field kintone requires stays required.
    let (text, required) = if kintone_required {
        let text = Text::RequiredByKintone.get(locale);
        (text, required.attr("disabled", ""))
    } else {
        (Text::RequiredOnForm.get(locale), required)
    };
    section = section.child(checkbox("kfe-s-required", text, required));
    if is_file {
        let input = el("input")
            .attr("type", "number")
            .attr("min", "1")
            .attr("inputmode", "numeric")
            .value_with(move || {
                ctx.state.with(|s| item(s).max_files.map(|n| n.to_string()).unwrap_or_default())
            })
            .on("change", move |ev| {
                let max = target_value(&ev).trim().parse().ok();
                ctx.state.update(|s| s.edit(index, Edit::MaxFiles(max)));
            });
        let text = Text::MaxFiles.get(locale);
        section = section.children(labelled("kfe-s-max-files", text, input));
    }
    if !hidden && !page_break {
        let condition_fields =
            move || code_options(ctx.state.with(|s| s.show_if_candidates(index)));
        let always = Text::AlwaysShown.get(locale);
        section = section.child(
            el("fieldset")
                .class("kfe-condition")
                .child(el("legend").text(Text::ShowOnlyWhen.get(locale)))
                .children(labelled(
                    "kfe-s-if-field",
                    Text::Item.get(locale),
                    choice(always, condition_fields, move || condition_field.get()).on(
                        "change",
                        move |ev| {
                            condition_field.set(target_value(&ev));
                            set_condition();
                        },
                    ),
                ))
                .children(labelled(
                    "kfe-s-if-values",
                    Text::IsOneOf.get(locale),
                    text_input().value_with(move || condition_values.get()).on(
                        "change",
                        move |ev| {
                            condition_values.set(target_value(&ev));
                            set_condition();
                        },
                    ),
                )),
        );
    }
    if !options.is_empty() {
        section = section.child(
            el("fieldset")
                .class("kfe-options")
                .child(el("legend").text(Text::OptionsOffered.get(locale)))
                .children(option_rows),
        );
    }
    section.child(button(Text::Close.get(locale), move |_| {
        ctx.selected.set(None);
        focus_later(ctx, format!("kfe-item-{index}-edit"));
    }))
}
