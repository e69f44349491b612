; Inno Setup script of WarmDesk's Windows installer (Inno Setup 6).
; Build the bundle first (python packaging\build.py makes dist\warmdesk\), then,
; from the repository's top folder (build.py does this when iscc is on the PATH):
;     iscc /DAppVersion=0.1.0 packaging\windows\warmdesk.iss
; Output: dist\warmdesk-<version>-setup.exe. Installs per user by default (no
; admin rights); the .wdrun association is registered for that user (HKCU) or,
; for an all-users install, for the machine (HKLM), and removed on uninstall.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "WarmDesk"
#define AppId "io.github.warmdesk.WarmDesk"
#define ProgId "WarmDesk.Run"
#define ExeName "warmdesk.exe"

[Setup]
AppId={{6B0E3C55-2F7A-4C1E-9E0B-57A1D0C4B2A9}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The WarmDesk developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
OutputDir=..\..\dist
OutputBaseFilename=warmdesk-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\warmdesk.ico
UninstallDisplayIcon={app}\{#ExeName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle made by PyInstaller.
Source: "..\..\dist\warmdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#ExeName}"; AppUserModelID: "{#AppId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}"; Tasks: desktopicon

[Registry]
; .wdrun -> WarmDesk.Run -> "warmdesk.exe" "%1" (a second launch hands the file to
; the running window: warmdesk/gui/single_instance.py).
Root: HKA; Subkey: "Software\Classes\.wdrun"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.wdrun"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-warmdesk-run"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.wdrun\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "WarmDesk run file"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#ExeName},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#ExeName}"" ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\{#ExeName}\SupportedTypes"; ValueType: string; ValueName: ".wdrun"; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\{#ExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
