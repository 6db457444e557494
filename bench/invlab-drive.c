/* invlab-drive: a scripted slider drag for bench/gui.py. Activates the
 * running app's set-shift action N times, MS milliseconds apart, severity
 * 1/N, 2/N, …, 1, over one D-Bus connection (spawning `gapplication` per
 * value would itself load a 2-core machine). Not a test; not installed.
 * usage: invlab-drive APP_ID KIND N MS */
#include <gio/gio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  if (argc != 5)
    {
      g_printerr ("usage: invlab-drive APP_ID KIND N MS\n");
      return 2;
    }
  const char *app_id = argv[1], *kind = argv[2];
  int n = atoi (argv[3]), ms = atoi (argv[4]);
  if (!g_application_id_is_valid (app_id) || n < 1 || ms < 0)
    {
      g_printerr ("invlab-drive: bad arguments\n");
      return 2;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (!bus)
    {
      g_printerr ("invlab-drive: %s\n", error->message);
      return 1;
    }
  g_autofree char *path = g_strconcat ("/", app_id, NULL);
  for (char *p = path; *p; p++)
    if (*p == '.')
      *p = '/';
    else if (*p == '-')
      *p = '_';
  for (int i = 1; i <= n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      GVariantBuilder pdata;
      g_variant_builder_init (&pdata, G_VARIANT_TYPE ("a{sv}"));
      GVariant *param = g_variant_new ("(sd)", kind, (double) i / n);
      /* org.gtk.Actions.Activate (s action, av parameter, a{sv} platform data) */
      GVariant *args = g_variant_new ("(s@ava{sv})", "set-shift",
                                      g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                                           (GVariant *[]) { g_variant_new_variant (param) }, 1),
                                      &pdata);
      g_dbus_connection_call (bus, app_id, path, "org.gtk.Actions", "Activate", args, NULL,
                              G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
      g_dbus_connection_flush_sync (bus, NULL, NULL);
      gint64 left = (gint64) ms * 1000 - (g_get_monotonic_time () - t0);
      if (left > 0 && i < n)
        g_usleep ((gulong) left);
    }
  /* the calls are asynchronous: wait for the last replies */
  g_dbus_connection_flush_sync (bus, NULL, NULL);
  g_usleep (100000);
  return 0;
}
