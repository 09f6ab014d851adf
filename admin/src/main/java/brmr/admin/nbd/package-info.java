/**
 * The NBD server through which the compute client exports its mapped device, so that standard NBD
 * clients (qemu, libnbd's nbdcopy and nbdinfo, nbd-client) can use it. Entry points: {@link
 * brmr.admin.nbd.NbdServer}, {@link brmr.admin.nbd.NbdExport} and {@link brmr.admin.nbd.ExportLookup}.
 */
package brmr.admin.nbd;
