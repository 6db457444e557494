/* The app's GSettings (schema io.github.invlab.InvarianceLab, data/): a
 * lookup that tolerates a missing schema (an uninstalled build runs with
 * its defaults), and bindings that clamp numbers into a property's range.
 * Not a settings model: widgets keep their own properties. */
#pragma once
#include <gio/gio.h>

G_BEGIN_DECLS

/* A new GSettings of the app's schema, or NULL (with a debug message) when
 * the schema is not installed. */
GSettings *inv_settings_new (void);
/* g_settings_bind for numeric keys (i, d) and numeric properties (int,
 * uint, double): values outside the property's range are clamped into it
 * instead of being rejected. */
void inv_settings_bind_number (GSettings *settings, const char *key, gpointer object,
                               const char *property, GSettingsBindFlags flags);

G_END_DECLS
