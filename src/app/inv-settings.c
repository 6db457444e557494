/* GSettings helpers: the schema comes from the default source (installed,
 * or GSETTINGS_SCHEMA_DIR in the tests); numeric bindings go through
 * mappings that clamp to the GParamSpec's range, since the schema's ranges
 * are wider than the controls' (e.g. 0 training images means "all"). */
#include "config.h"
#include "inv-settings.h"
#include <math.h>

typedef struct {
  GParamSpec *pspec;
  const GVariantType *type;
} NumberMapping;

/* Helpers. */

static void
pspec_range (GParamSpec *pspec, double *lo, double *hi)
{
  *lo = -G_MAXDOUBLE;
  *hi = G_MAXDOUBLE;
  if (G_IS_PARAM_SPEC_INT (pspec))
    {
      *lo = G_PARAM_SPEC_INT (pspec)->minimum;
      *hi = G_PARAM_SPEC_INT (pspec)->maximum;
    }
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    {
      *lo = G_PARAM_SPEC_UINT (pspec)->minimum;
      *hi = G_PARAM_SPEC_UINT (pspec)->maximum;
    }
  else if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    {
      *lo = G_PARAM_SPEC_DOUBLE (pspec)->minimum;
      *hi = G_PARAM_SPEC_DOUBLE (pspec)->maximum;
    }
}

/* Mappings. */

static gboolean
number_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  NumberMapping *m = user_data;
  double v;
  if (g_variant_is_of_type (variant, G_VARIANT_TYPE_INT32))
    v = g_variant_get_int32 (variant);
  else if (g_variant_is_of_type (variant, G_VARIANT_TYPE_DOUBLE))
    v = g_variant_get_double (variant);
  else
    return FALSE;
  if (!isfinite (v))
    return FALSE;
  double lo, hi;
  pspec_range (m->pspec, &lo, &hi);
  v = CLAMP (v, lo, hi);
  if (G_VALUE_HOLDS_INT (value))
    g_value_set_int (value, (int) lround (v));
  else if (G_VALUE_HOLDS_UINT (value))
    g_value_set_uint (value, (guint) lround (v));
  else if (G_VALUE_HOLDS_DOUBLE (value))
    g_value_set_double (value, v);
  else
    return FALSE;
  return TRUE;
}

static GVariant *
number_set_mapping (const GValue *value, const GVariantType *expected, gpointer user_data)
{
  double v;
  if (G_VALUE_HOLDS_INT (value))
    v = g_value_get_int (value);
  else if (G_VALUE_HOLDS_UINT (value))
    v = g_value_get_uint (value);
  else if (G_VALUE_HOLDS_DOUBLE (value))
    v = g_value_get_double (value);
  else
    return NULL;
  if (g_variant_type_equal (expected, G_VARIANT_TYPE_INT32))
    return g_variant_new_int32 ((gint32) CLAMP (lround (v), G_MININT32, G_MAXINT32));
  if (g_variant_type_equal (expected, G_VARIANT_TYPE_DOUBLE))
    return g_variant_new_double (v);
  return NULL;
}

/* API. */

GSettings *
inv_settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema =
    source ? g_settings_schema_source_lookup (source, INVLAB_APP_ID, TRUE) : NULL;
  if (schema == NULL)
    {
      g_debug ("GSettings schema %s is not installed: settings are not kept", INVLAB_APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

void
inv_settings_bind_number (GSettings *settings, const char *key, gpointer object,
                          const char *property, GSettingsBindFlags flags)
{
  g_return_if_fail (G_IS_SETTINGS (settings));
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), property);
  g_return_if_fail (pspec != NULL);
  NumberMapping *m = g_new0 (NumberMapping, 1);
  m->pspec = pspec;
  g_settings_bind_with_mapping (settings, key, object, property, flags, number_get_mapping,
                                number_set_mapping, m, g_free);
}
