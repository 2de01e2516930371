"""RecipientForm: create a recipient of any type (TOKEN with a token lifetime, DATABRICKS from a sharing
identifier, OIDC_FEDERATION with a federation policy), with properties and an IP allow list; show a TOKEN
recipient's activation link with a copy button; rotate its token or delete a recipient after a confirmation."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from sharekit.config.comparable import activation_url
from sharekit.names import SUBJECT_CLAIMS
from sharekit.widgets._form import Form, reason_html
from sharekit.widgets.recipient_draft import Confirmation, RecipientDraft, RecipientOps

if TYPE_CHECKING:
    from databricks.sdk.service.sharing import RecipientInfo

    from sharekit.connect import Workspace


TYPE_OPTIONS = [("Token (activation link)", "TOKEN"), ("Databricks (sharing identifier)", "DATABRICKS"),
                ("OIDC federation (recipient's identity provider)", "OIDC_FEDERATION")]


class PropertyRow:
    def __init__(self, form: RecipientForm, key: str = "", value: str = "") -> None:
        import ipywidgets as w

        self.key = w.Text(value=key, placeholder="key", layout=w.Layout(width="180px"))
        self.value = w.Text(value=value, placeholder="value", layout=w.Layout(width="220px"))
        self.remove = w.Button(description="Remove", icon="trash", layout=w.Layout(width="90px"))
        self.key.add_class("sharekit-property-key")
        self.value.add_class("sharekit-property-value")
        self.remove.on_click(lambda _: form.remove_property(self))
        self.key.observe(form._changed, names="value")
        self.value.observe(form._changed, names="value")
        self.box = w.HBox([self.key, self.value, self.remove])


class RecipientForm(Form):
    title = "Recipient — create, rotate, delete"
    css_class = "sharekit-recipient-form"

    def __init__(self, workspace: Workspace | None = None) -> None:
        import ipywidgets as w

        super().__init__(workspace)
        self.ops = RecipientOps(self.client)
        self.created: RecipientInfo | None = None
        self.activation_url: str | None = None
        self.reason_text = ""
        self.pending: Confirmation | None = None
        wide = w.Layout(width="460px")
        label = {"description_width": "150px"}
        self.name = w.Text(description="Name", placeholder="acme_corp", layout=wide, style=label)
        self.ip_list = w.Textarea(description="IP allow list", placeholder="10.0.0.0/8, 192.168.1.10",
                                  layout=w.Layout(width="460px", height="60px"), style=label)
        self.expires_days = w.IntText(value=0, description="Token lifetime (days)", style=label,
                                      tooltip="0 = the token never expires", layout=w.Layout(width="260px"))
        self._type_widgets(wide, label)
        self.rows: list[PropertyRow] = []
        self.properties_box = w.VBox()
        self.add_property_button = w.Button(description="Add property", icon="plus")
        self.create_button = w.Button(description="Create recipient", button_style="primary", disabled=True)
        self.reason = w.HTML()
        self.link = w.HTML()
        for widget, css in ((self.name, "sharekit-recipient-name"), (self.comment, "sharekit-recipient-comment"),
                            (self.ip_list, "sharekit-ip-list"), (self.create_button, "sharekit-create"),
                            (self.reason, "sharekit-reason"), (self.link, "sharekit-activation")):
            widget.add_class(css)
        for widget in (self.name, self.comment, self.ip_list, self.expires_days):
            widget.observe(self._changed, names="value")
        self.add_property_button.on_click(lambda _: self.add_property())
        self.create_button.on_click(lambda _: self.create())

        self.existing = w.Dropdown(description="Recipient", options=[], layout=wide, style=label)
        self.expire_existing = w.IntText(value=0, description="Old token lasts (s)", style=label,
                                         layout=w.Layout(width="260px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=w.Layout(width="100px"))
        self.rotate_button = w.Button(description="Rotate token", icon="repeat")
        self.delete_button = w.Button(description="Delete", icon="trash", button_style="danger")
        self.confirm_prompt = w.HTML()
        self.confirm_button = w.Button(description="Confirm", button_style="danger")
        self.cancel_button = w.Button(description="Cancel")
        self.confirm_box = w.HBox([self.confirm_prompt, self.confirm_button, self.cancel_button])
        self.confirm_box.layout.display = "none"
        self.confirm_box.add_class("sharekit-confirm")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.rotate_button.on_click(lambda _: self.ask_rotate())
        self.delete_button.on_click(lambda _: self.ask_delete())
        self.confirm_button.on_click(lambda _: self.confirm())
        self.cancel_button.on_click(lambda _: self.cancel())

        self.widget.children = [
            self._header(), self.name, self.kind, self.sharing_id, self.policy_box, self.comment,
            w.HTML("Properties (recipient properties drive row-level partition filters)"),
            self.properties_box, self.add_property_button, self.ip_list, self.expires_days,
            w.HBox([self.create_button, self.reason]), w.HBox([self.progress, self.message_widget]), self.link,
            w.HTML("<hr><b>Existing recipients</b>"), w.HBox([self.existing, self.refresh_button]),
            w.HBox([self.rotate_button, self.expire_existing, self.delete_button]), self.confirm_box,
        ]
        self.refresh(background=False)
        self.sync()

    def _type_widgets(self, wide: Any, label: dict[str, str]) -> None:
        """The comment, the recipient type and what each type needs: a sharing identifier, or a policy."""
        import ipywidgets as w

        self.comment = w.Text(description="Comment", layout=wide, style=label)
        self.kind = w.Dropdown(description="Type", options=TYPE_OPTIONS, value="TOKEN", layout=wide, style=label)
        self.sharing_id = w.Text(description="Sharing identifier", placeholder="aws:us-west-2:<metastore-uuid>",
                                 layout=w.Layout(width="460px"), style=label)  # its own layout: it is hidden
        self.policy_name = w.Text(description="Policy name", placeholder="m2m-app", layout=wide, style=label)
        self.issuer = w.Text(description="Issuer URL", placeholder="https://login.microsoftonline.com/<tenant>/v2.0",
                             layout=wide, style=label)
        self.audiences = w.Text(description="Audiences", placeholder="api://sharing, other", layout=wide, style=label)
        self.subject_claim = w.Dropdown(description="Subject claim", options=list(SUBJECT_CLAIMS), value="sub",
                                        layout=wide, style=label)
        self.subject = w.Text(description="Subject", placeholder="the client id, object id or group id",
                              layout=wide, style=label)
        self.policy_box = w.VBox([w.HTML("Federation policy (the recipient's identity provider)"), self.policy_name,
                                  self.issuer, self.audiences, self.subject_claim, self.subject])
        for widget in (self.kind, self.sharing_id, self.policy_name, self.issuer, self.audiences,
                       self.subject_claim, self.subject):
            widget.observe(self._changed, names="value")
        self.kind.add_class("sharekit-recipient-type")

    # -- state ---------------------------------------------------------------------------------------------
    def draft(self) -> RecipientDraft:
        return RecipientDraft(name=self.name.value, comment=self.comment.value,
                              properties=[(row.key.value, row.value.value) for row in self.rows],
                              ip_text=self.ip_list.value, expires_in_days=self.expires_days.value or None,
                              authentication_type=self.kind.value, sharing_id=self.sharing_id.value,
                              policy_name=self.policy_name.value, issuer=self.issuer.value,
                              audiences_text=self.audiences.value, subject_claim=self.subject_claim.value,
                              subject=self.subject.value)

    def add_property(self, key: str = "", value: str = "") -> PropertyRow:
        row = PropertyRow(self, key, value)
        self.rows.append(row)
        self.properties_box.children = [r.box for r in self.rows]
        self.sync()
        return row

    def remove_property(self, row: PropertyRow) -> None:
        self.rows.remove(row)
        self.properties_box.children = [r.box for r in self.rows]
        self.sync()

    def _changed(self, _change: Any = None) -> None:
        self.sync()

    def sync(self) -> None:
        kind = self.kind.value
        self.sharing_id.layout.display = "flex" if kind == "DATABRICKS" else "none"
        self.policy_box.layout.display = "flex" if kind == "OIDC_FEDERATION" else "none"
        self.expires_days.layout.display = "flex" if kind == "TOKEN" else "none"
        problem = self.draft().problem()
        busy = self.task.running
        self.create_button.disabled = busy or problem is not None
        if problem and not self.name.value:
            problem = "enter a recipient name"
        self.reason_text = problem or ""
        self.reason.value = reason_html(problem)
        selected = self.existing.value is not None
        for button in (self.rotate_button, self.delete_button):
            button.disabled = busy or not selected
        self.confirm_button.disabled = busy

    # -- actions ---------------------------------------------------------------------------------------------
    def refresh(self, select: str | None = None, *, background: bool = True) -> Any:
        def done(names: list[str]) -> None:
            current = select or self.existing.value
            self.existing.options = names
            self.existing.value = current if current in names else (names[0] if names else None)
            self.messages.clear()
            self.sync()

        return self.task.start("Loading recipients", self.ops.names, done, background=background)

    def create(self) -> Any:
        draft = self.draft()
        problem = draft.problem()
        if problem:
            self.messages.show(problem, "error")
            return None

        def done(info: RecipientInfo) -> None:
            self.created = info
            self._show_link(info, f"Recipient {info.name} created.")
            names = self.ops.names()
            self.existing.options = names
            self.existing.value = info.name

        return self.task.start(f"Creating recipient {draft.name.strip()}", lambda: self.ops.create(draft), done)

    def ask_rotate(self) -> None:
        name = self.existing.value
        if not name:
            return
        seconds = self.expire_existing.value
        when = "now" if seconds == 0 else f"in {seconds} s"
        self._ask(f"Rotate the token of {name}? The current token expires {when}.", lambda: self._rotate(name, seconds))

    def ask_delete(self) -> None:
        name = self.existing.value
        if not name:
            return
        self._ask(f"Delete recipient {name}? Its tokens stop working and its grants are removed.",
                  lambda: self._delete(name))

    def confirm(self) -> None:
        pending, self.pending = self.pending, None
        self.confirm_box.layout.display = "none"
        if pending is not None:
            pending.action()

    def cancel(self) -> None:
        self.pending = None
        self.confirm_box.layout.display = "none"
        self.messages.show("cancelled", "info")

    def _ask(self, prompt: str, action: Any) -> None:
        self.pending = Confirmation(prompt, action)
        self.confirm_prompt.value = f"<b>{html.escape(prompt)}</b>"
        self.confirm_box.layout.display = "flex"
        self.messages.show("confirm or cancel below", "warning")

    def _rotate(self, name: str, seconds: int) -> None:
        self.task.start(f"Rotating the token of {name}", lambda: self.ops.rotate(name, seconds),
                        lambda info: self._show_link(info, f"Token of {name} rotated."))

    def _delete(self, name: str) -> None:
        def done(_: None) -> None:
            self.link.value = ""
            names = self.ops.names()
            self.existing.options = names
            self.existing.value = names[0] if names else None
            self.messages.show(f"Recipient {name} deleted.", "info")

        self.task.start(f"Deleting recipient {name}", lambda: self.ops.delete(name), done)

    def _show_link(self, info: RecipientInfo, text: str) -> None:
        url = activation_url(info)
        self.activation_url = url
        kind = info.authentication_type.value if info.authentication_type else "TOKEN"
        if kind != "TOKEN":
            self.link.value = ""
            how = "its workspace connects with the sharing identifier" if kind == "DATABRICKS" else \
                "it signs in with its own identity provider (its federation policies)"
            self.messages.show(f"{text} No activation link: {how}.", "info")
            return
        if not url:
            self.link.value = ""
            self.messages.show(f"{text} (no activation link: the token was already retrieved)", "info")
            return
        self.link.value = activation_html(url)
        self.messages.show(f"{text} Send the activation link to the recipient; it works once.", "info")


def activation_html(url: str) -> str:
    """The link and a copy button (a plain HTML button: stock widgets have no clipboard access)."""
    safe = html.escape(url, quote=True)
    script = html.escape(f"navigator.clipboard.writeText({json.dumps(url)});this.textContent='Copied'", quote=True)
    return (f'<div class="sharekit-activation-link">Activation link: '
            f'<a href="{safe}" target="_blank" rel="noopener">{html.escape(url)}</a> '
            f'<button class="sharekit-copy" onclick="{script}">Copy</button></div>')
