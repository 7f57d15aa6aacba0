#!/bin/sh
# Register LayerStudio with the desktop (menu entry, icon, .lsproj file type, software-centre metadata)
# after `pip install`. PREFIX defaults to the user's ~/.local; use PREFIX=/usr/local (as root) system-wide.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
id=io.github.layerstudio.LayerStudio
install -Dm644 "$here/$id.desktop" "$prefix/share/applications/$id.desktop"
install -Dm644 "$here/$id.metainfo.xml" "$prefix/share/metainfo/$id.metainfo.xml"
install -Dm644 "$here/../resources/icons/layerstudio.svg" "$prefix/share/icons/hicolor/scalable/apps/$id.svg"
install -Dm644 "$here/layerstudio-mime.xml" "$prefix/share/mime/packages/$id.xml"
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$prefix/share/icons/hicolor" || true
echo "LayerStudio registered under $prefix/share"
