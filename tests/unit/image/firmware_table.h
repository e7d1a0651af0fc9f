/* Expected inspection results for every firmware file under CF_FIRMWARE_DIR.
 * Built by dumping each file's vector tables, Katapult signature and inflated
 * Klipper data dictionary with a throwaway script, then checked by hand
 * against the file names and firmware_list.csv (note the names are not always
 * right: the v2-v3 root "Cartographer_CAN_250000" files are "CARTOGRAPHER V3",
 * the 1000000 one is 4.0.0; "12kib_offset" is linked at 0x08002000 like the rest).
 * Katapult and deployer images have no dictionary: their interface is the
 * link their Katapult drives (USB descriptor / CAN peripheral), which matches
 * the file names. Columns: path, kind, version, mcu, interface, CAN bitrate,
 * CLOCK_FREQ. */

static const fw_expect fw_table[] = {
    {"cartographer-klipper/firmware/v1/carto-rp2040.uf2", CF_KIND_UNKNOWN, NULL, NULL,
     CF_IFACE_UNKNOWN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/Cartographer_CAN_1000000_8kib_offset.bin", CF_KIND_APP,
     "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/Cartographer_CAN_250000_8kib_offset.bin", CF_KIND_APP,
     "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/Cartographer_CAN_500000_8kib_offset.bin", CF_KIND_APP,
     "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/Cartographer_USB_4_0_0_8kib_offset.bin", CF_KIND_APP,
     "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/Katapult_1m.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/Katapult_250k.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/Katapult_500k.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/Katapult_USB.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_USB, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_USB_v3_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Full_Cartographer_CAN_1M_v3-UPDATED.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Full_Cartographer_USB_v3-UPDATED.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_USB_v3_12kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Full_Cartographer_CAN_1M_v3.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Full_Cartographer_USB_v3.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Cartographer_USB_8kib_offset.bin", CF_KIND_APP,
     "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Katapult_CAN_1000000.bin", CF_KIND_KATAPULT,
     NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/Katapult_USB.bin", CF_KIND_KATAPULT, NULL,
     NULL, CF_IFACE_USB, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_USB.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/4.0.0/"
     "Full_Cartographer_CAN_1M_4_0_1.bin",
     CF_KIND_COMBINED, "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/4.0.0/Full_Cartographer_USB_4_0_0.bin",
     CF_KIND_COMBINED, "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_CAN_1M_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0 K1", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_USB_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_CAN_1M_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER K1 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_USB_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/katapult-deployer/katapult-deployer-1m.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/katapult-deployer/katapult-deployer-250k.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/katapult-deployer/katapult-deployer-500k.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/katapult-deployer/katapult-deployer-usb.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_USB, 0, 0},
    {"cartographer-klipper/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.0.0/Survey_Cartographer_K1_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0 K1", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.0.0/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/HT/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 150000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/HT/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_USB, 0, 150000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_K1_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER K1 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v1/carto-rp2040.uf2", CF_KIND_UNKNOWN, NULL, NULL,
     CF_IFACE_UNKNOWN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/Cartographer_CAN_1000000_8kib_offset.bin", CF_KIND_APP,
     "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/Cartographer_CAN_250000_8kib_offset.bin", CF_KIND_APP,
     "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/Cartographer_CAN_500000_8kib_offset.bin", CF_KIND_APP,
     "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/Cartographer_USB_4_0_0_8kib_offset.bin", CF_KIND_APP,
     "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/Katapult_1m.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/Katapult_250k.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/Katapult_500k.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/Katapult_USB.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_USB, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Cartographer_USB_v3_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Full_Cartographer_CAN_1M_v3-UPDATED.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/Firmware v3 (3.0.0 badly "
     "named)/Full_Cartographer_USB_v3-UPDATED.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Cartographer_USB_v3_12kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Full_Cartographer_CAN_1M_v3.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/for Klipper older than "
     "v0-12-0-85/Full_Cartographer_USB_v3.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Katapult_CAN_1000000.bin", CF_KIND_KATAPULT,
     NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/Katapult_USB.bin", CF_KIND_KATAPULT, NULL,
     NULL, CF_IFACE_USB, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/archive/v2/for Klipper older than "
     "v0-12-0-85/Cartographer_USB.bin",
     CF_KIND_APP, "CARTOGRAPHER 2.2.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/4.0.0/"
     "Full_Cartographer_CAN_1M_4_0_1.bin",
     CF_KIND_COMBINED, "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/4.0.0/Full_Cartographer_USB_4_0_0.bin",
     CF_KIND_COMBINED, "Cartographer 4.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_CAN_1M_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0 K1", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.0.0/"
     "Full_Survey_Cartographer_USB_5_0_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_CAN_1M_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER K1 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_USB_5_1_0.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_1M_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 1000000,
     48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_250K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_250K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_500K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_CAN_500K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_USB.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV3_6.1.0_USB_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-1m.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-250k.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-500k.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-usb.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_USB, 0, 0},
    {"cartographer_firmware/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.0.0/"
     "Survey_Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.0.0/Survey_Cartographer_K1_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0 K1", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.0.0/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.0.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/HT/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 150000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/HT/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_USB, 0, 150000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_250000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/"
     "Survey_Cartographer_CAN_500000_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_K1_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER K1 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER 5.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_1M_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_1M_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 1000000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_250K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_250K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 250000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_500K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_CAN_500K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_CAN, 500000, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_USB_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v2-v3/survey/6.1.0/"
     "CartographerV3_6.1.0_USB_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V3 6.1.0 lite", "stm32f042x6", CF_IFACE_USB, 0, 48000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_V4_CAN_1M.bin",
     CF_KIND_COMBINED, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/5.1.0/"
     "Full_Survey_Cartographer_V4_USB.bin",
     CF_KIND_COMBINED, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_1M.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_1M_lite.bin",
     CF_KIND_COMBINED, "Cartographer V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 1000000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_250K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_250K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 250000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_500K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__CAN_500K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 500000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__USB.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.0.0/"
     "Katapult_plus_CartographerV4_6.0.0__USB_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_1M_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 1000000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_250K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_250K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 250000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_500K.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_CAN_500K_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 500000,
     170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_USB.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
     "Katapult_plus_CartographerV4_6.1.0_USB_lite.bin",
     CF_KIND_COMBINED, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/5.1.0/Cartographer_V4_CAN_1M_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/5.1.0/Cartographer_V4_CAN_250K_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/5.1.0/Cartographer_V4_CAN_500K_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/5.1.0/Cartographer_V4_USB_8kib_offset.bin",
     CF_KIND_APP, "Cartographer HT 5.1.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_1M_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_1M_lite_8kib_offset.bin",
     CF_KIND_APP, "Cartographer V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_250K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_250K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_500K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_CAN_500K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_USB_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.0.0/"
     "CartographerV4_6.0.0_USB_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.0.0 Lite", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_1M_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_1M_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_250K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_250K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 250000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_500K_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_CAN_500K_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_CAN, 500000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_USB_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.1.0/"
     "CartographerV4_6.1.0_USB_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER V4 6.1.0 lite", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.2.0/"
     "CartographerV4_6.2.0_CAN_1M_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER v4 6.2.0", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.2.0/"
     "CartographerV4_6.2.0_CAN_1M_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER v4 6.2.0 Lite", "stm32g431xx", CF_IFACE_CAN, 1000000, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.2.0/"
     "CartographerV4_6.2.0_USB_full_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER v4 6.2.0", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/firmware/6.2.0/"
     "CartographerV4_6.2.0_USB_lite_8kib_offset.bin",
     CF_KIND_APP, "CARTOGRAPHER v4 6.2.0 Lite", "stm32g431xx", CF_IFACE_USB, 0, 170000000},
    {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_CAN_1M.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_CAN_250K.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_CAN_500K.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_USB.bin",
     CF_KIND_DEPLOYER, NULL, NULL, CF_IFACE_USB, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult/Katapult_V4_CAN_1M.bin", CF_KIND_KATAPULT, NULL,
     NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult/Katapult_V4_CAN_250K.bin", CF_KIND_KATAPULT, NULL,
     NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult/Katapult_V4_CAN_500K.bin", CF_KIND_KATAPULT, NULL,
     NULL, CF_IFACE_CAN, 0, 0},
    {"cartographer_firmware/firmware/v4/katapult/Katapult_V4_USB.bin", CF_KIND_KATAPULT, NULL, NULL,
     CF_IFACE_USB, 0, 0},
};
