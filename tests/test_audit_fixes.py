"""Fix commands paste as they are: quoting cannot break out of a literal."""

from __future__ import annotations

from t1114.audit import fixes


def test_powershell_literals_double_single_quotes():
    assert fixes.ps("O'Brien") == "'O''Brien'"
    assert fixes.ps("$(Remove-Item x)") == "'$(Remove-Item x)'"


def test_inbox_rule_disables_then_removes():
    assert fixes.inbox_rule("Bob\\123", None, None).splitlines() == [
        "Disable-InboxRule -Identity 'Bob\\123' -Confirm:$false",
        "Remove-InboxRule -Identity 'Bob\\123' -Confirm:$false",
    ]
    assert "-Mailbox 'bob@x.example' -Identity 'fwd'" in fixes.inbox_rule(
        None, "bob@x.example", "fwd"
    )


def test_mailbox_and_policy_commands():
    assert fixes.mailbox_forwarding("a@x.example") == (
        "Set-Mailbox -Identity 'a@x.example' -ForwardingSmtpAddress $null -ForwardingAddress $null "
        "-DeliverToMailboxAndForward $false"
    )
    assert (
        fixes.remote_domain("Default")
        == "Set-RemoteDomain -Identity 'Default' -AutoForwardEnabled $false"
    )
    assert fixes.outbound_policy("Default").endswith("-AutoForwardingMode Off")


def test_graph_and_gam_commands_escape_their_arguments():
    assert fixes.graph_message_rule("a@x.example", "AQA=").endswith(
        "/users/a@x.example/mailFolders/inbox/messageRules/AQA%3D"
    )
    assert fixes.gam_forward_off("a b@x.example") == "gam user 'a b@x.example' forward off"
    assert (
        fixes.gam_delete_filter("a@x.example", None)
        == "gam user a@x.example delete filter '<filter-id>'"
    )
